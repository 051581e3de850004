"""English magnitudes in their Chinese forms, and the number check holding a model to them."""

from decimal import Decimal

import pytest

from summarizer.trust.checks import CheckRules, Source, check_summary
from summarizer.trust.magnitudes import annotate, chinese_number, find_magnitudes


@pytest.mark.parametrize(("text", "chinese"), [
    ("raised $310 million in", "3.1亿美元"), ("a 7B parameters model", "70亿参数"), ("revenue of 1.2bn", "12亿"),
    ("has 40K users", "4万用户"), ("12.9bn", "129亿"), ("US$2.5 trillion", "2.5万亿美元"),
    ("paid $310,000 for", "31万美元"), ("a €3bn deal", "30亿欧元"), ("grew 40 million users", "4000万用户"),
])
def test_each_magnitude_has_its_one_chinese_form(text: str, chinese: str) -> None:
    assert [m.chinese for m in find_magnitudes(text)] == [chinese]
    assert f"（{chinese}）" in annotate(text)


@pytest.mark.parametrize("text", ["4K video", "5G phones", "costs $5 each", "M2 chip", "in 2026"])
def test_figures_that_are_not_magnitudes_stay_as_written(text: str) -> None:
    assert find_magnitudes(text) == [] and annotate(text) == text


def test_chinese_number_uses_wan_and_yi() -> None:
    assert [chinese_number(Decimal(v)) for v in ("8000", "40000", "310000000", "2500000000000")] == [
        "8000", "4万", "3.1亿", "2.5万亿"]


SOURCE = Source.of("Tern ships a 7B model", "Kestrel Compute released Tern, a 7B model, after raising "
                   "$310 million from investors. It now has 40K users.")


def _kinds(bullet: str) -> list[str]:
    result = check_summary("Kestrel Compute发布Tern模型", [bullet, "第二条要点。", "第三条要点。"], [], SOURCE,
                           CheckRules())
    return [p.kind for p in result.problems if p.bullet == 1]


def test_the_right_chinese_form_is_supported() -> None:
    assert _kinds("Kestrel Compute发布70亿参数的Tern模型，融资3.1亿美元，拥有4万用户。") == []


def test_a_power_of_ten_off_is_a_magnitude_error_quoting_both() -> None:
    result = check_summary("Kestrel Compute发布Tern模型", ["Kestrel Compute发布7亿参数的Tern模型。", "二。", "三。"],
                           [], SOURCE, CheckRules())
    wrong = [p for p in result.problems if p.kind == "magnitude"]
    assert len(wrong) == 1 and wrong[0].trust and "“7亿”" in wrong[0].message and "70亿" in wrong[0].message


def test_a_figure_the_source_lacks_is_still_a_number_problem() -> None:
    assert "number" in _kinds("Kestrel Compute融资30亿美元。")


def test_a_local_figure_off_by_a_power_of_ten_is_rewritten_in_the_sources_form() -> None:
    from summarizer.trust.checks import fix_magnitudes

    source = Source.of("t", "Northwind raised $310 million and has 40K users; a 7B model; revenue $30 million.")
    assert fix_magnitudes("公司融资3100万美元，拥有4000名用户，7亿参数模型", source) == \
        "公司融资3.1亿美元，拥有4万名用户，70亿参数模型"
    assert fix_magnitudes("营收3000万美元，融资3.1亿美元", source) == "营收3000万美元，融资3.1亿美元"
    assert fix_magnitudes("模型有700亿参数", source) == "模型有70亿参数"


def test_a_share_is_never_an_amount_a_power_of_ten_off() -> None:
    # Seen on a real page: "50%" was called a magnitude error of "$500,000" (and would have been rewritten).
    from summarizer.trust.checks import CheckRules, Source, check_summary, fix_magnitudes

    source = Source.of("t", "The price fell from $500,000 to less than $5,000 in five years.")
    assert fix_magnitudes("价格下降了50%", source) == "价格下降了50%"
    result = check_summary("价格下降", ["价格下降了50%。", "二。", "三。"], [], source, CheckRules())
    assert [p.kind for p in result.problems if p.term == "50%"] == ["number"]
