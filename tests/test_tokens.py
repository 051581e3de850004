from summarizer.model.tokens import GAP, count_tokens, fit_to_budget, split_thirds


def test_short_text_is_untouched() -> None:
    assert fit_to_budget("短文。", 100) == ("短文。", False)


def test_long_text_keeps_beginning_and_end_at_sentence_boundaries() -> None:
    sentences = [f"第{i}句讲了一件事情。" for i in range(400)]
    text = "".join(sentences)
    cut, was_cut = fit_to_budget(text, 300)
    assert was_cut
    assert count_tokens(cut) <= 300
    assert cut.startswith("第0句讲了一件事情。")
    assert cut.endswith("第399句讲了一件事情。")
    assert GAP.strip() in cut
    head, tail = cut.split(GAP.strip())
    assert head.strip().endswith("。") and tail.strip().startswith("第")


def test_english_text_is_cut_at_sentences() -> None:
    text = " ".join(f"Sentence number {i} says something." for i in range(300))
    cut, _ = fit_to_budget(text, 200)
    assert count_tokens(cut) <= 200
    assert cut.endswith("Sentence number 299 says something.")


def test_split_thirds_in_order() -> None:
    text = "".join(f"第{i}句。" for i in range(30))
    parts = split_thirds(text)
    assert len(parts) == 3
    assert parts[0].startswith("第0句") and parts[2].endswith("第29句。")
    assert "".join(parts) == text
