"""Charts drawn on the server as inline SVG (no scripts, no CDN): bars and a stacked share bar."""

from markupsafe import Markup, escape

from inventory_server.web.format import fmt_number, fmt_percent

PALETTE = ("#1d5fa8", "#2f8f4e", "#c9891a", "#a8322d", "#6b4fa8", "#4f7f8f", "#7a7a7a")
"""Colours that stay distinct for common colour-vision deficiencies, with text labels beside."""


def bar_chart(items: list[tuple[str, int]], *, title: str, width: int = 480) -> Markup:
    """Return a horizontal bar chart: one labelled bar per (label, value)."""
    row, label_w, gap = 26, 210, 8
    height = max(1, len(items)) * row + 4
    top = max((v for _, v in items), default=0) or 1
    bar_w = width - label_w - 70
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = i * row + 4
        w = max(2, round(bar_w * value / top)) if value else 0
        text = escape(label if len(label) <= 28 else label[:27] + "…")
        parts.append(
            f'<text x="{label_w - gap}" y="{y + 15}" text-anchor="end">{text}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="16" rx="2"'
            f' fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{label_w + w + 6}" y="{y + 15}">{escape(fmt_number(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every inserted text is escaped above


def share_bar(items: list[tuple[str, int]], *, title: str, width: int = 420) -> Markup:
    """Return a stacked 100 % bar with a legend giving each part's count and share."""
    total = sum(v for _, v in items)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} 28"'
        f' width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
    ]
    x = 0.0
    for i, (label, value) in enumerate(items):
        if not total or not value:
            continue
        w = width * value / total
        parts.append(
            f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="24"'
            f' fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {value}</title></rect>'
        )
        x += w
    if not total:
        parts.append(f'<rect x="0" y="2" width="{width}" height="24" fill="#ddd"/>')
    parts.append("</svg>")
    legend = ['<ul class="legend">']
    for i, (label, value) in enumerate(items):
        share = fmt_percent(value / total) if total else "—"
        legend.append(
            f'<li><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
            f"{escape(label)}: <strong>{escape(fmt_number(value))}</strong> ({escape(share)})</li>"
        )
    legend.append("</ul>")
    return Markup("".join(parts) + "".join(legend))  # noqa: S704 - texts escaped above
