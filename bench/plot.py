"""The results picture: throughput side by side, latency distribution, memory."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def draw(baseline: list[float], worker: list[float], latency_ms: list[float],
         bytes_each: dict[str, float], path: Path, two_workers: float = 0.0,
         peers: dict[str, list[float]] | None = None) -> None:
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.2))
    runs = range(1, len(baseline) + 1)
    series = {"baseline: aiokafka + orjson": baseline, "cxpulse worker (replay)": worker}
    series.update({f"peer: {name}": rates for name, rates in (peers or {}).items() if rates})
    width = 0.76 / len(series)
    for i, (label, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        a.bar([r + offset for r in runs][:len(values)], values, width, label=label)
    if two_workers:
        a.bar([len(baseline) + 1], [two_workers], width, color="tab:gray",
              label="two cxpulse workers, one group")
    ticks = list(range(1, len(baseline) + 1 + bool(two_workers)))
    a.set(title="Throughput, same topics", xlabel="run", ylabel="events/s", xticks=ticks)
    a.set_xticklabels([str(r) for r in runs] + (["2 workers"] if two_workers else []))
    a.set_yscale("log")
    a.legend(fontsize=8)
    if latency_ms:
        b.hist(latency_ms, bins=40, color="tab:green")
        ordered = sorted(latency_ms)
        for q, style in ((0.5, "--"), (0.99, ":")):
            value = ordered[min(len(ordered) - 1, int(q * len(ordered)))]
            b.axvline(value, color="black", linestyle=style,
                      label=f"p{int(q * 100)} {value:.0f} ms")
        b.legend(fontsize=8)
    b.set(title="Publish -> /metrics latency", xlabel="ms", ylabel="scrapes")
    names = list(bytes_each)
    c.bar(names, [bytes_each[n] for n in names], color="tab:purple")
    c.axhline(300, color="black", linestyle=":", label="goal: 300 B per open ticket")
    c.axhline(64, color="gray", linestyle="--", label="goal: 64 MB per 1e6 daily users")
    c.set(title="RSS growth per item", ylabel="bytes")
    c.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
