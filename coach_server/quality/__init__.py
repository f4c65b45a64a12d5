"""Precision on real chats: run the engine over a corpus of real conversations, label its warnings by hand,
and measure each rule against those labels (docs/quality.md).

- `findings`: every warning the engine gives on a corpus (each operator message checked as it was typed);
- `labels`: the labels file — one verdict per warning (correct / wrong, with a reason), kept in the repo;
- `measure`: per-rule precision and fire rates, and the regressions (a labelled false positive that fires
  again, a labelled correct warning that no longer fires);
- `commands`: `coach quality sample | label | verdict | show | report`.
"""
