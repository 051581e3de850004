"""Latin words a Chinese summary may keep: the source's names, whole; never everyday English."""

from summarizer.trust.checks import CheckRules, Source, check_summary
from summarizer.trust.latin import LatinWords, english_words, half_names

TEXT = ("Northwind Labs raised money on Monday. The company, Northwind Labs, runs on AWS and GPT-4o. "
        "However, the runway is short. Its 7B model beat iPhone apps.")


def test_names_acronyms_products_and_figures_are_allowed_ordinary_words_are_not() -> None:
    words = LatinWords.of(TEXT)
    assert {"Northwind Labs", "AWS", "GPT-4o", "7B", "iPhone"} <= set(words.allowed)
    assert not {"However", "The", "Monday", "runway", "Its", "Labs", "Northwind"} & set(words.allowed)


def test_a_name_that_opens_every_sentence_is_still_a_name() -> None:
    assert "Larkspur" in LatinWords.of("Larkspur ships a scheduler\nLarkspur said it is fast.").allowed


def test_english_words_and_half_names_are_found_as_they_stand() -> None:
    words = LatinWords.of(TEXT)
    assert english_words("Northwind Labs的runway还有triple了", words) == ["runway", "triple"]
    assert half_names("北风 Labs 使用 AWS", words) == [("北风 Labs", "Northwind Labs")]
    assert half_names("Northwind Labs 使用 AWS", words) == []
    assert half_names("公司完成B轮融资", LatinWords.of("It closed a Series B round. Series B ended.")) == []


def test_the_checks_flag_both_as_trust_problems() -> None:
    source = Source.of("Northwind Labs raises money", TEXT)
    result = check_summary("Northwind Labs融资", ["北风 Labs在AWS上运行GPT-4o，runway很短。", "二。", "三。"], [],
                           source, CheckRules())
    kinds = {p.kind: p for p in result.problems if p.bullet == 1}
    assert kinds["half_name"].trust and kinds["half_name"].term == "北风 Labs"
    assert kinds["english"].term == "runway" and kinds["english"].trust


def test_a_name_kept_whole_in_one_of_its_forms_is_not_half() -> None:
    words = LatinWords.of("It closed a Series B round after its Series A round last year.")
    assert half_names("此前完成了Series A融资", words) == []
