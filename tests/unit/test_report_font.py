"""The report's shipped font is the wheel's Noto Sans at its default instance: the same
characters at the same widths, so a report lays out exactly as with the variable font,
without the tables that made every document slow to embed."""

from __future__ import annotations

from fontTools.ttLib import TTFont

from dsar.package.report_font import DROPPED_TABLES, REPORT_FONT, wheel_font
from dsar.package.report_pdf import font_file


def test_the_report_embeds_the_shipped_font() -> None:
    assert font_file() == REPORT_FONT
    assert REPORT_FONT.is_file()
    assert (REPORT_FONT.parent / "OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE") >= 1


def test_the_shipped_font_is_the_wheels_default_instance() -> None:
    with TTFont(wheel_font(), lazy=True) as variable, TTFont(REPORT_FONT, lazy=True) as shipped:
        assert "fvar" in variable and "fvar" not in shipped
        assert not any(tag in shipped for tag in DROPPED_TABLES)
        assert shipped.getBestCmap() == variable.getBestCmap()
        # At the default instance the variable font's own advances are the instance's.
        assert shipped["hmtx"].metrics == variable["hmtx"].metrics
        assert shipped["head"].unitsPerEm == variable["head"].unitsPerEm
        assert shipped["OS/2"].usWeightClass == 400
