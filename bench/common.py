"""What the benchmarks share: the texts (drafts and chats as operators write them), percentiles, memory
readings, and a `coach serve` started on a free loopback port (optionally pinned to one core)."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# the quiet floor as the one running the benchmark set it (read before any benchmark imports the tests' fixtures)
_FLOOR = os.environ.get("COACH_MIN_CONFIDENCE")
ROOT = Path(__file__).resolve().parents[1]
NOW = 1_750_000_000.0

RU_DRAFT_TEXT = (
    "Здравствуйте, Мария! Меня зовут Анна, я помогу разобраться с вашим заказом. Посмотрела информацию: "
    "заказ уже передан в службу доставки, курьер привезёт его в пятницу с десяти до двух. Если вам удобнее "
    "забрать самостоятельно, пройдите на сайт в раздел «Мои заказы» и выберите пункт выдачи рядом с домом. "
    "Могу ли я ещё чем-то помочь?"
)
EN_DRAFT_TEXT = (
    "Hello Maria, my name is Anna and I will help you with your order. I have checked the details: the order "
    "has already been handed to the courier and it will arrive on Friday between ten and two. If you would "
    "rather pick it up yourself, please open My Orders on our website and choose a pickup point near your "
    "home. Is there anything else I can help with?"
)

RU_CHAT = [
    ("client", "Здравствуйте! Подскажите, где мой заказ? Оформляла в понедельник."),
    ("operator", "Здравствуйте! Меня зовут Анна, сейчас посмотрю. Подскажите, пожалуйста, номер заказа."),
    ("client", "Номер 48213, оплачивала картой на сайте."),
    ("operator", "Спасибо! Вижу ваш заказ, он собран на складе и ждёт передачи курьеру."),
    ("client", "А когда его привезут? Мне нужно до выходных, это подарок."),
    ("operator", "Понимаю, постараемся успеть. Уточню у службы доставки и вернусь к вам в течение пяти минут."),
    ("client", "Хорошо, жду. А можно поменять адрес доставки на офис?"),
    ("operator", "Да, адрес можно изменить до передачи курьеру. Напишите, пожалуйста, новый адрес."),
    ("client", "Москва, улица Тверская, дом 12, офис 305. Работаю до шести вечера."),
    ("operator", "Записала новый адрес. Курьер позвонит за час до приезда."),
    ("client", "Отлично, спасибо! А если меня не будет на месте?"),
    ("operator", "Тогда курьер договорится с вами о другом времени или оставит заказ в пункте выдачи."),
    ("client", "Понятно. И ещё вопрос: можно ли оплатить доставку при получении?"),
]
EN_CHAT = [
    ("client", "Hi! Could you tell me where my order is? I placed it on Monday."),
    ("operator", "Hello! My name is Anna, let me check. Could you share the order number, please?"),
    ("client", "It is 48213, I paid by card on the website."),
    ("operator", "Thank you! I can see your order, it has been packed and is waiting for the courier."),
    ("client", "When will it arrive? I need it before the weekend, it is a gift."),
    ("operator", "I understand, we will do our best. I will check with the delivery team and get back to you."),
    ("client", "Great. Can I change the delivery address to my office?"),
    ("operator", "Yes, the address can be changed until the courier picks it up. Please send the new address."),
    ("client", "London, 12 Baker Street, office 305. I work until six in the evening."),
    ("operator", "I have saved the new address. The courier will call an hour before arriving."),
    ("client", "Perfect, thanks! What if I am not there?"),
    ("operator", "Then the courier will arrange another time with you or leave the order at a pickup point."),
    ("client", "I see. One more question: can I pay for delivery on receipt?"),
]


def fit(text: str, size: int) -> str:
    """`text` repeated and cut at a word boundary to about `size` characters."""
    out = text
    while len(out) < size:
        out += " " + text
    cut = out[:size]
    if " " in cut[size - 20:]:
        cut = cut[:cut.rindex(" ")]
    return cut.ljust(size, ".")[:size]


def chat(lang: str, count: int = 50, now: float = NOW, tag: str = "") -> list[dict]:
    """A `count`-message conversation, oldest first, ending with the client's question 40 s ago."""
    lines = RU_CHAT if lang == "ru" else EN_CHAT
    out = []
    for i in range(count):
        role, text = lines[(i - count) % len(lines)]
        # later rounds differ a little, as real chats do (no two messages identical)
        out.append({"role": role, "text": f"{text} ({i // len(lines) + 1}{tag})" if i >= len(lines) else text + tag,
                    "ts": now - 40 - (count - 1 - i) * 30})
    return out


def typing_variants(text: str, count: int, skip: int = 0) -> list[str]:
    """Drafts as they look while the operator types: the text with one or two of its words cut short. All
    distinct, all about as long as `text`, none seen by the engine before (so each check analyses its draft
    afresh). Deterministic: the first `skip` are the ones a warm-up uses."""
    import random

    rng = random.Random(20_251_123)
    words = text.split(" ")
    cuttable = [j for j, w in enumerate(words) if len(w) > 1]
    out: list[str] = []
    seen: set[str] = {text}
    while len(out) < count + skip:
        cut = list(words)
        for j in rng.sample(cuttable, rng.choice((1, 1, 2))):
            cut[j] = words[j][:rng.randrange(1, len(words[j]))]
        variant = " ".join(cut)
        if variant not in seen:
            seen.add(variant)
            out.append(variant)
    return out[skip:]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def cpu_seconds(pid: int | str = "self") -> tuple[float, float]:
    """(user, system) CPU seconds a process has used so far, from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rpartition(")")[2].split()  # (the name, in parentheses, may hold spaces)
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pin_prefix(cpu: int | None) -> list[str]:
    if cpu is None or not shutil.which("taskset") or (os.cpu_count() or 1) <= cpu:
        return []
    return ["taskset", "-c", str(cpu)]


class Service:
    """`coach serve` on 127.0.0.1 and a free port, for a benchmark; stopped by `stop()` (its own pid).
    In `extra`, «{tmp}» is the service's own temporary directory (for a store file)."""

    def __init__(self, cpu: int | None = None, *extra: str, store: str = "none", env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="coach-bench-"))
        extra = tuple(arg.replace("{tmp}", str(self.tmp)) for arg in extra)
        # the service as shipped (its own default floor) unless the one running the benchmark set one:
        # tests/conftest.py, which some benchmarks import for their fixtures, sets the test suite's 0
        base = {k: v for k, v in os.environ.items() if k != "COACH_MIN_CONFIDENCE"}
        if _FLOOR is not None:
            base["COACH_MIN_CONFIDENCE"] = _FLOOR
        env = dict(base, PYTHONUNBUFFERED="1", COACH_TOKEN_FILE=str(self.tmp / "token"),
                   XDG_DATA_HOME=str(self.tmp / "data"), **(env or {}))
        args = [sys.executable, "-m", "coach_server", "serve", "--port", str(self.port), "--reload-interval", "0",
                *extra]
        if "--store" not in extra and "--store" in subprocess.run(
                [sys.executable, "-m", "coach_server", "serve", "--help"], capture_output=True, text=True,
                cwd=ROOT).stdout:
            args += ["--store", store]
        self.log = (self.tmp / "serve.log").open("w")
        self.pinned = pin_prefix(cpu)
        self.proc = subprocess.Popen([*self.pinned, *args], stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     cwd=ROOT)
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("coach serve did not start: " + (self.tmp / "serve.log").read_text()) from None
                time.sleep(0.1)

    def post(self, path: str, body: dict) -> dict:
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def rss(self) -> tuple[float, float]:
        return rss_mb(self.proc.pid)

    def log_text(self) -> str:
        self.log.flush()
        return (self.tmp / "serve.log").read_text(encoding="utf-8")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
