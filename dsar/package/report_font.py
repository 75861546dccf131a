"""The report's font: Noto Sans cut to the one instance and the tables a report uses.

The `fontpkg-noto-sans` wheel ships Noto Sans only as a variable font. Embedding that in a
PDF made fpdf2 parse 2 MB and decompile and subset its variation and layout tables for every
document: about a quarter of each PDF's CPU (docs/benchmarks.md, runs 17-19). The report uses
the default instance (regular weight, normal width) and fpdf2 draws it without text shaping,
so the file shipped here is that instance without the layout tables (GSUB, GPOS, GDEF) that
only shaping reads: the same outlines, the same character map, the same advance widths
(tests/unit/test_report_font.py compares them with the wheel's font).

Making it takes about ten CPU-seconds, so it is made once, here, and committed beside its
licence (SIL Open Font License 1.1, which allows a modified copy under the same licence):
`python -m dsar.package.report_font` after the wheel's font changes.
"""

from __future__ import annotations

from pathlib import Path

REPORT_FONT = Path(__file__).parent / "fonts" / "NotoSans-Report.ttf"
# Read only by text shaping, which the report leaves off; STAT names the variable axes.
DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "STAT", "DSIG")


def wheel_font() -> Path:
    """The variable Noto Sans the `fontpkg-noto-sans` wheel installs."""
    import fontpkg

    path: Path = fontpkg.path("Noto Sans")
    return path


def make_report_font(source: Path, target: Path) -> None:
    """Cut the default instance out of the variable font and drop the shaping tables."""
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    with TTFont(source) as variable:
        axes = {axis.axisTag: None for axis in variable["fvar"].axes}
        static = instancer.instantiateVariableFont(variable, axes)
        for tag in DROPPED_TABLES:
            if tag in static:
                del static[tag]
        target.parent.mkdir(parents=True, exist_ok=True)
        static.save(target)


if __name__ == "__main__":
    make_report_font(wheel_font(), REPORT_FONT)
    print(f"wrote {REPORT_FONT} ({REPORT_FONT.stat().st_size} bytes)")
