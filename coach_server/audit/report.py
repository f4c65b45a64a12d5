"""Rendering an audit: a terminal summary, JSON, and a self-contained HTML report with charts (inline SVG,
no scripts, no external files — it opens anywhere and can be mailed)."""
from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any

from ..models import SEVERITIES

SEVERITY_COLOURS = {"error": "#d64545", "warning": "#e8a33d", "info": "#4a90d9"}
SEVERITY_RU = {"error": "ошибка", "warning": "предупреждение", "info": "совет"}


# --- text ----------------------------------------------------------------------------------------------
def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian number agreement: 1 чат, 2 чата, 5 чатов, 21 чат, 11 чатов."""
    m10, m100 = abs(n) % 10, abs(n) % 100
    if m10 == 1 and m100 != 11:
        return one
    if 2 <= m10 <= 4 and not 12 <= m100 <= 14:
        return few
    return many


def render_text(report: dict[str, Any], *, examples: int = 5) -> str:
    s = report["summary"]
    out = [
        f"{s['chats']} chats, {s['messages']} operator messages checked; {s['flagged']} flagged "
        f"({_pct(s['flagged_share'])}), {s['warnings']} warnings.",
    ]
    if s.get("quiet"):
        by_rule = ", ".join(f"{r} {n}" for r, n in s.get("quiet_by_rule", {}).items())
        out.append(f"{s['quiet']} more warnings are quiet (measured confidence under the floor, not shown to "
                   f"operators): {by_rule}.")
    if s["unanswered_chats"]:
        out.append(f"{s['unanswered_chats']} chats where the client never got an answer.")
    if s["bad_lines"]:
        out.append(f"{s['bad_lines']} bad lines skipped.")
    if s["skipped_messages"]:
        out.append(f"{s['skipped_messages']} messages could not be checked (see --json).")
    out.append("")
    out.append("By rule (operator messages flagged):")
    width = max((len(r["rule"]) for r in report["rules"]), default=4)
    for r in report["rules"]:
        sev = ", ".join(f"{n} {k}" for k, n in r["by_severity"].items() if n)
        out.append(f"  {r['rule']:<{width}} {r['messages']:>7}  {_pct(r['share']):>6}  ({sev})")
    if report["operators"]:
        out.append("")
        out.append("By operator:")
        width = max(len(o["operator"]) for o in report["operators"])
        for o in report["operators"]:
            top = ", ".join(f"{rule} {n}" for rule, n in list(o["rules"].items())[:3])
            out.append(f"  {o['operator']:<{width}} {o['messages']:>6} messages  {_pct(o['flagged_share']):>6} flagged"
                       + (f"  — {top}" if top else ""))
    if report["worst"] and examples:
        out.append("")
        out.append("Worst examples:")
        for ex in report["worst"][:examples]:
            where = f"line {ex['line']}" + (f", chat {ex['chat_id']}" if ex.get("chat_id") else "")
            out.append(f"  [{where}, {ex.get('operator') or '—'}] «{_clip(ex['draft'], 100)}»")
            for w in ex["warnings"]:
                out.append(f"      {w['severity']:<7} {w['rule']}: {w['message']}")
    out.append("")
    out.append(f"{s['elapsed_s']:.2f} s: {s['chats_per_s']:.0f} chats/s, {s['messages_per_s']:.0f} messages/s.")
    return "\n".join(out)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)


# --- HTML ------------------------------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _bar_chart(rows: list[tuple[str, list[tuple[float, str, str]]]], *, total_label: str, width: int = 760) -> str:
    """Horizontal stacked bars: rows of (label, [(value, colour, legend)])."""
    if not rows:
        return '<p class="muted">Нет данных.</p>'
    label_w, bar_h, gap = 190, 20, 8
    plot_w = width - label_w - 70
    biggest = max(sum(v for v, _, _ in parts) for _, parts in rows) or 1
    height = len(rows) * (bar_h + gap) + gap
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{_e(total_label)}">']
    y = gap
    for label, parts in rows:
        out.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.72:.1f}" text-anchor="end" class="lbl">{_e(label)}</text>')
        x = float(label_w)
        total = 0.0
        for value, colour, legend in parts:
            if value <= 0:
                continue
            w = plot_w * value / biggest
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" rx="3" fill="{colour}">'
                       f'<title>{_e(label)}: {_e(legend)} — {value:g}</title></rect>')
            x += w
            total += value
        out.append(f'<text x="{x + 6:.1f}" y="{y + bar_h * 0.72:.1f}" class="val">{total:g}</text>')
        y += bar_h + gap
    out.append("</svg>")
    return "".join(out)


def _column_chart(items: list[tuple[str, float]], *, width: int = 760, height: int = 220) -> str:
    if not items or not any(v for _, v in items):
        return '<p class="muted">Нет данных о времени ответа.</p>'
    pad_b, pad_t = 36, 18
    plot_h = height - pad_b - pad_t
    n = len(items)
    slot = width / n
    biggest = max(v for _, v in items) or 1
    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
           'aria-label="сколько клиенты ждали первого ответа">']
    for i, (label, value) in enumerate(items):
        h = plot_h * value / biggest
        x = i * slot + slot * 0.18
        w = slot * 0.64
        slow = i >= 2  # a minute and more: the client is leaving
        colour = "#d64545" if i >= 3 else ("#e8a33d" if slow else "#3aa57a")
        out.append(f'<rect x="{x:.1f}" y="{pad_t + plot_h - h:.1f}" width="{w:.1f}" height="{max(h, 1):.1f}" rx="3" '
                   f'fill="{colour}"><title>{_e(label)}: {value:g}</title></rect>')
        out.append(f'<text x="{x + w / 2:.1f}" y="{pad_t + plot_h - h - 4:.1f}" text-anchor="middle" class="val">'
                   f'{value:g}</text>')
        out.append(f'<text x="{x + w / 2:.1f}" y="{height - 12}" text-anchor="middle" class="lbl">{_e(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def _highlight(draft: str, warnings: list[dict[str, Any]]) -> str:
    spans = sorted({(w["start"], w["end"], w["severity"]) for w in warnings
                    if w.get("start") is not None and w.get("end") is not None and w["end"] > w["start"]})
    out, pos = [], 0
    for start, end, severity in spans:
        if start < pos:
            continue
        out.append(_e(draft[pos:start]))
        out.append(f'<mark class="{_e(severity)}">{_e(draft[start:end])}</mark>')
        pos = end
    out.append(_e(draft[pos:]))
    return "".join(out)


def _when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%d.%m.%Y %H:%M (UTC)")


def _example_html(ex: dict[str, Any], titles: dict[str, str]) -> str:
    roles = {"client": "Клиент", "operator": "Оператор", "bot": "Бот", "system": "Система"}
    ctx = "".join(f'<div class="msg {_e(m["role"])}"><span class="who">{roles.get(m["role"], m["role"])}</span>'
                  f'{_e(m["text"])}</div>' for m in ex.get("context", []))
    warnings = "".join(
        f'<li><span class="sev {_e(w["severity"])}">{_e(SEVERITY_RU.get(w["severity"], w["severity"]))}</span> '
        f'<b data-rule="{_e(w["rule"])}">{_e(titles.get(w["rule"], w["rule"]))}</b>: {_e(w["message"])}'
        + (f' <span class="fix">→ {_e(w["suggestion"])}</span>' if w.get("suggestion") else "") + "</li>"
        for w in ex["warnings"])
    where = f'строка {_e(ex.get("line"))}' + (f' · чат {_e(ex["chat_id"])}' if ex.get("chat_id") else "") + \
        (f' · {_e(ex["operator"])}' if ex.get("operator") else "") + (f' · {_when(ex.get("ts"))}' if ex.get("ts") else "")
    return (f'<article class="example"><div class="where">{where}</div>{ctx}'
            f'<div class="msg operator draft"><span class="who">Оператор</span>{_highlight(ex["draft"], ex["warnings"])}'
            f'</div><ul class="warnings">{warnings}</ul></article>')


CSS = """
:root{--ink:#1d2430;--muted:#6b7585;--line:#e3e7ee;--bg:#f6f7fa;--card:#fff;--accent:#2f6fdf}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#1f2a3c;color:#fff;padding:28px 40px}header h1{margin:0 0 4px;font-size:24px;font-weight:600}
header p{margin:0;color:#b9c3d3}main{max-width:1100px;margin:0 auto;padding:24px 40px 60px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:14px;margin:0 0 28px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.card b{display:block;font-size:26px;font-weight:650}.card span{color:var(--muted);font-size:13px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin:0 0 22px}
h2{font-size:18px;margin:0 0 14px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.chart text.lbl{font-size:12px;fill:#3a4455}.chart text.val{font-size:11px;fill:#6b7585}
.legend{display:flex;gap:16px;font-size:13px;color:var(--muted);margin:0 0 8px}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
.example{border:1px solid var(--line);border-radius:10px;padding:12px 14px;margin:0 0 12px;background:#fbfcfe}
.where{font-size:12px;color:var(--muted);margin-bottom:6px}.msg{padding:6px 10px;border-radius:8px;margin:4px 0;max-width:80%}
.msg.client{background:#eef1f6}.msg.operator{background:#e7f0ff;margin-left:auto}.msg.bot,.msg.system{background:#f3f3f3;font-style:italic}
.msg.draft{border:1px dashed #8fb0ea}.who{display:block;font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
mark{border-radius:3px;padding:0 2px}mark.error{background:#f9d3d3}mark.warning{background:#fbe7c3}mark.info{background:#d6e7fa}
ul.warnings{margin:8px 0 0;padding-left:18px}ul.warnings li{margin:3px 0}.sev{font-size:11px;border-radius:4px;padding:1px 6px;color:#fff}
.sev.error{background:#d64545}.sev.warning{background:#e8a33d}.sev.info{background:#4a90d9}.fix{color:#2f7d4f}
code{background:#eef1f6;border-radius:4px;padding:0 4px;font-size:13px}.muted{color:var(--muted)}
details summary{cursor:pointer;color:var(--accent)}footer{color:var(--muted);font-size:12px;text-align:center;padding:20px}
"""


def render_html(report: dict[str, Any], *, source: str = "") -> str:
    """The report for a supervisor, in Russian: rules by their titles (never their ids), numbers agreed."""
    s = report["summary"]
    titles = {r["rule"]: r.get("title") or r["rule"] for r in report["rules"]}
    rule_rows = [(titles[r["rule"]], [(r["by_severity"].get(k, 0), SEVERITY_COLOURS[k], SEVERITY_RU[k])
                                      for k in SEVERITIES]) for r in report["rules"]]
    op_rows = [(o["operator"], [(round(o["flagged_share"] * 100, 1), "#2f6fdf", "% сообщений с замечаниями")])
               for o in sorted(report["operators"], key=lambda o: -o["flagged_share"])[:25]]
    reply = [(b.get("label_ru") or b["bucket"], b["chats"]) for b in report["first_reply"]]
    cards = [
        (s["chats"], plural(s["chats"], "чат", "чата", "чатов")),
        (s["messages"], plural(s["messages"], "сообщение оператора", "сообщения оператора", "сообщений оператора")),
        (_pct(s["flagged_share"]), "сообщений с замечаниями"),
        (s["warnings"], plural(s["warnings"], "замечание", "замечания", "замечаний")),
        (s.get("quiet", 0), plural(s.get("quiet", 0), "тихое замечание (не показано операторам)",
                                   "тихих замечания (не показаны операторам)", "тихих замечаний (не показаны операторам)")),
        (s["unanswered_chats"], plural(s["unanswered_chats"], "чат без ответа", "чата без ответа", "чатов без ответа")),
        (s["bad_lines"], plural(s["bad_lines"], "строка пропущена", "строки пропущены", "строк пропущено")),
    ]
    parts = [
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>Аудит чатов — Operator Coach</title><style>{CSS}</style></head><body>",
        f"<header><h1>Аудит чатов</h1><p>{_e(source)} · {s['chats']} {plural(s['chats'], 'чат', 'чата', 'чатов')} · "
        f"{_when(datetime.now(tz=UTC).timestamp())}</p></header><main>",
        '<div class="cards">' + "".join(f"<div class=\"card\"><b>{_e(v)}</b><span>{_e(k)}</span></div>" for v, k in cards)
        + "</div>",
        '<section id="rules"><h2>Замечания по правилам</h2><div class="legend">'
        + "".join(f'<span><i style="background:{c}"></i>{SEVERITY_RU[k]}</span>' for k, c in SEVERITY_COLOURS.items())
        + "</div>" + _bar_chart(rule_rows, total_label="сообщения с замечаниями по правилам") + "</section>",
        '<section id="first-reply"><h2>Сколько клиенты ждали первого ответа</h2>'
        + _column_chart(reply) + "</section>",
        '<section id="operators"><h2>Операторы: доля сообщений с замечаниями, %</h2>'
        + _bar_chart(op_rows, total_label="доля сообщений с замечаниями") + "<table><thead><tr><th>Оператор</th>"
        "<th class=n>Чатов</th><th class=n>Сообщений</th><th class=n>С замечаниями</th><th>Чаще всего</th></tr></thead><tbody>"
        + "".join(f"<tr><td data-operator>{_e(o['operator'])}</td><td class=n>{o['chats']}</td>"
                  f"<td class=n>{o['messages']}</td>"
                  f"<td class=n>{o['flagged']} ({_pct(o['flagged_share'])})</td><td>"
                  + ", ".join(f"{_e(titles.get(r, r))} — {n}" for r, n in list(o["rules"].items())[:3]) + "</td></tr>"
                  for o in report["operators"]) + "</tbody></table></section>",
        '<section id="rule-table"><h2>Правила</h2><table><thead><tr><th>Правило</th><th class=n>Сообщений</th>'
        "<th class=n>Доля</th><th class=n>Ошибок</th><th class=n>Предупр.</th><th class=n>Советов</th></tr></thead><tbody>"
        + "".join(f"<tr data-rule=\"{_e(r['rule'])}\"><td>{_e(titles[r['rule']])}</td><td class=n>{r['messages']}</td>"
                  f"<td class=n>{_pct(r['share'])}</td><td class=n>{r['by_severity']['error']}</td>"
                  f"<td class=n>{r['by_severity']['warning']}</td><td class=n>{r['by_severity']['info']}</td></tr>"
                  for r in report["rules"]) + "</tbody></table></section>",
        '<section id="worst"><h2>Худшие примеры</h2>' + ("".join(_example_html(ex, titles) for ex in report["worst"])
                                                          or '<p class="muted">Замечаний нет.</p>') + "</section>",
        '<section id="examples"><h2>Примеры по правилам</h2>'
        + "".join(f"<details data-rule=\"{_e(r['rule'])}\"><summary>{_e(titles[r['rule']])} — {r['messages']} "
                  f"{plural(r['messages'], 'сообщение', 'сообщения', 'сообщений')}</summary>"
                  + "".join(_example_html(ex, titles) for ex in r["examples"]) + "</details>" for r in report["rules"])
        + "</section>",
    ]
    if report["bad_lines"] or report["skipped"]:
        parts.append('<section id="problems"><h2>Пропущенные строки</h2><table><thead><tr><th class=n>Строка</th>'
                     "<th>Проблема</th></tr></thead><tbody>"
                     + "".join(f"<tr><td class=n>{b['line']}</td><td>{_e(b['problem'])}</td></tr>"
                               for b in report["bad_lines"])
                     + "".join(f"<tr><td class=n>{b['line']}</td><td>сообщение {b['message']}: {_e(b['problem'])}</td></tr>"
                               for b in report["skipped"])
                     + "</tbody></table></section>")
    parts.append(f"</main><footer>Operator Coach · {s['elapsed_s']:.2f} с · {s['chats_per_s']:.0f} {plural(round(s['chats_per_s']), 'чат', 'чата', 'чатов')} в секунду</footer>"
                 "</body></html>")
    return "".join(parts)
