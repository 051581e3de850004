"""What the model must reply and how a reply is read: the JSON schema (with the local model's grammar),
the reply's cleaning and its validation into a ``Summary``."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from ..items import Rules, Summary
from ..text import clean_data, count_zi

_HAN = "[\u4e00-\u9fff]"
_PLAIN = '[^"\\\\\\n]'  # any character but a quote, a backslash or a line break: no JSON escapes needed
_OTHER = '[^"\\\\\\n\u4e00-\u9fff]'  # the same but a Chinese character
_EMOJI_CHARS = ("[\u2190-\u21ff\u2300-\u23ff\u24c2\u25a0-\u27bf\u2934\u2935\u2b05-\u2b55"
                "\U0001f000-\U0001faff\ufe0f\u200d\u20e3]")
_NAME_RUN = 24  # "Granite Peak Ventures, " fits


def output_schema(rules: Rules, *, lengths: bool = False, quote_max: int = 40, quotes: bool = True,
                  latin: tuple[str, ...] | None = None, figures: tuple[str, ...] = (),
                  scaled: tuple[str, ...] = ()) -> dict[str, Any]:
    """JSON schema sent as response_format; quotes, then bullets, come first so the model finds its
    evidence before it writes, and reads before it titles.

    ``lengths`` adds item counts and string lengths. llama.cpp turns them into a
    grammar, which is what makes a small local model write full-length bullets;
    hosted providers' strict modes reject or ignore such constraints, so for them
    the validator and the re-ask enforce the same rules.
    """
    bullet: dict[str, Any] = {"type": "string"}
    headline: dict[str, Any] = {"type": "string"}
    emoji: dict[str, Any] = {"type": "string"}
    quote: dict[str, Any] = {"type": "string"}
    importance: dict[str, Any] = {"type": "integer"}
    bullets: dict[str, Any] = {"type": "array", "items": bullet}
    quote_list: dict[str, Any] = {"type": "array", "items": quote}
    if lengths:
        _add_grammar(rules, quote_max, bullet=bullet, bullets=bullets, headline=headline, emoji=emoji,
                     quote=quote, quotes=quote_list, importance=importance)
        if latin is not None:
            _only_source_latin(rules, bullet, headline, latin, (figures, scaled))
    properties: dict[str, Any] = {
        "quotes": quote_list,
        "bullets": bullets,
        "headline": headline,
        "emoji": emoji,
        "section": {"type": "string", "enum": list(rules.sections)},
        "importance": importance,
    }
    if not quotes:
        del properties["quotes"]  # evidence comes from alignment (checks.align)
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _add_grammar(rules: Rules, quote_max: int, *, bullet: dict[str, Any], bullets: dict[str, Any],
                 headline: dict[str, Any], emoji: dict[str, Any], quote: dict[str, Any],
                 quotes: dict[str, Any], importance: dict[str, Any]) -> None:
    """The counts, lengths and patterns llama.cpp turns into a grammar (see ``output_schema``)."""
    importance.update(minimum=1, maximum=10)
    # Short quotes: the local CPU model pays for every token it copies.
    quote.update(minLength=4, maxLength=quote_max)
    quotes.update(minItems=3, maxItems=3)
    # Characters, not 字: punctuation, spaces and figures ("2,000" is one 字, five characters) take
    # a third or more of a small model's bullet, so ask for half as much again. (Twice as much made the
    # 0.5B model pad by repeating one bullet three times.)
    # At most twice the minimum in Chinese characters: the local model writes about ten tokens a
    # second on two cores, and left to the full range it wrote 150-字 bullets (a minute of output).
    low, high = rules.bullet_min * 3 // 2, min(rules.bullet_max, rules.bullet_min * 8 // 3)
    bullet.update(minLength=low, maxLength=high)
    # Chinese all through: two Chinese characters first, then never more than a name's worth of other
    # characters without one. Asked in words only, the 1.5B model answered an English article in
    # English; forced to open in Chinese only, it went on in English after two characters. llama.cpp
    # lets a pattern override the length keywords, so the pattern carries the lengths (in Chinese
    # characters: at least the minimum in 字, at most a quarter past the maximum, so that a sentence the
    # model began near the asked length can end; cut anyway, its tail goes: text.drop_cut_tail).
    bullet["pattern"] = (
        f"^{_HAN}{{2}}(?:{_OTHER}{{0,{_NAME_RUN}}}{_HAN}){{{rules.bullet_min - 2},{high * 5 // 4 - 2}}}"
        f"{_OTHER}{{0,{_NAME_RUN}}}$"
    )
    bullets.update(minItems=3, maxItems=3)
    headline.update(minLength=4, maxLength=rules.headline_max + 8)
    # A headline may open with a Latin name ("OpenAI发布…") but must turn Chinese within 12 characters.
    headline["pattern"] = f"^[A-Za-z0-9 .&+-]{{0,12}}{_HAN}{_PLAIN}{{2,{rules.headline_max + 4}}}$"
    # Unbounded, a small model can loop inside this one string until max_tokens cuts the JSON off.
    # Three emoji with variation selectors or a ZWJ sequence fit in 8 code points; the symbol blocks
    # only, or the 1.5B model writes "AI".
    emoji.update(minLength=1, maxLength=8, pattern=f"^{_EMOJI_CHARS}{{1,8}}$")


# Between Chinese characters only punctuation, spaces and symbols, or the source's words and figures: "any
# character but a letter" let the 1.5B model end a bullet in Arabic script and a row of commas.
# No brackets: the text it reads carries "$310 million（3.1亿美元）"; the model looped "23%（23%）（23%）".
_MARK = "[- ，。、；：？！“”‘’《》【】—…·～,.;:!?'%+/&~#*=<>@_$€£¥°℃×％＋]"  # "-" first: a plain dash
# After a figure, unless Chinese or a source word comes next: no space, and no "." or "," that would join
# it to the next figure (it wrote "4.3亿" and "2027.3" from 4, 3 and 2027; decimals and "2,000" only as
# the source's); no "_" either: denied "14 GB", it wrote "14_GB".
_STOP = "[-，。、；：？！“”‘’《》【】—…·～;:!?'%+/&~#*=<>@$€£¥°℃×％＋]"


def _literal(word: str) -> str:
    return re.sub(r"([.+*?()|\[\]{}^$\\])", r"\\\1", word)


def _only_source_latin(rules: Rules, bullet: dict[str, Any], headline: dict[str, Any],
                       latin: tuple[str, ...], figures: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    """Latin text only as the source's own names, acronyms, products and figures (trust.latin), each a
    whole word: the 1.5B model mixed "triple了" and "runway" into Chinese bullets, and forbidden only
    lower-case words it camel-cased its way round ("weHere"). Figures only as the source's
    (trust.magnitudes.written_figures): it wrote "2023", "50%" and "50000000000" for sources with none;
    with 万 or 亿 only as the source's magnitudes (``figures[1]``): it wrote "14亿" for "14 GB"."""
    high = min(rules.bullet_max, rules.bullet_min * 8 // 3)
    run, run_han = _latin_run(latin, figures, _NAME_RUN // 2)
    bullet["pattern"] = (
        f"^{_HAN}{{2}}(?:{run_han}){{{rules.bullet_min - 2},{high * 5 // 4 - 2}}}{run}$"
    )
    # The same run fits a headline's "售价 6999 元" and "Strider H2 ".
    # Names and figures count as 字 too: a few Chinese characters fewer than the length, or the 1.5B model
    # wrote 43- and 45-字 headlines the validator refused three times (at three quarters, it was cut off
    # mid-phrase: "…文字识别、AI 、").
    headline["pattern"] = f"^{run_han}(?:{run_han}){{1,{rules.headline_max - 6}}}{run}$"


# A Chinese character but a place value: after a figure, 万 or 亿 would make it a new magnitude.
_HAN_UNSCALED = "[\u4e00-\u4e06\u4e08-\u4ebe\u4ec0-\u5342\u5344-\u767d\u767f-\u9fff]"  # no 万亿千百


def _latin_run(latin: tuple[str, ...], figures: tuple[tuple[str, ...], tuple[str, ...]],
               most: int) -> tuple[str, str]:
    """What may stand between two Chinese characters, alone and with the Chinese character after it: a
    few marks, then source words or figures each followed by marks (so never one straight after another:
    allowed "IP" and "IPAD", the model wrote "IPIPAD"), ``most // 3`` of them at most. A figure is
    followed by Chinese (one space between allowed; 万, 亿, 千 or 百 only in a source magnitude) or by a
    mark other than a space, "." or ",": the 1.5B model looped "每秒 60 个 60  60  60…" and
    "甚至14.  甚至16.  …" until the reply was cut off."""
    # Figures only as the source writes them, small ones too: free digits up to 31 let it write "8" and
    # "3" that no source had, the most frequent unsupported claims on real pages.
    plain, scaled = figures
    marks = f"{_MARK}{{1,3}}"
    stop = f"{_STOP}{_MARK}?"
    steps, lasts = [], []
    words = f"(?:{'|'.join(map(_literal, latin))})" if latin else ""
    if words:
        steps.append(f"{words}{marks}")
        lasts.append(f"{words}(?:{marks})?")
    figure = f"(?:{'|'.join(map(_literal, plain))})" if plain else ""
    for number in filter(None, (figure, "|".join(map(_literal, scaled)))):
        steps.append(f"(?:{number}){stop}")
        if words:  # "14 GB": one space, then a source word (a unit, a name) and its marks
            steps.append(f"(?:{number}) {words}{marks}")
            lasts.append(f"(?:{number}) {words}(?:{marks})?")
    if scaled:
        lasts.append(f"(?:{'|'.join(map(_literal, scaled))})(?: |{_STOP}{_MARK}{{0,2}})?")
    if figure:
        # Before Chinese too, never "." or two spaces after a figure: it looped "甚至14.  甚至16.  …".
        lasts.append(f"{figure}{_STOP}{_MARK}{{0,2}}")
    if not steps:
        return f"(?:{marks})?", f"(?:{marks})?{_HAN}"
    head = f"(?:{marks})?(?:{'|'.join(steps)}){{0,{most // 3}}}"
    last = f"(?:{'|'.join(lasts)})"
    alone = f"{head}(?:{last}|{figure} ?)?" if figure else f"{head}{last}?"
    with_han = f"{head}(?:{last}?{_HAN}|{figure} ?{_HAN_UNSCALED})" if figure else f"{head}{last}?{_HAN}"
    return alone, with_han


def clean_output(raw: str) -> str:
    """Strip <think> blocks and ``` fences; keep the outermost JSON object."""
    text = re.sub(r"<think>.*?</think>", "", raw, flags=re.S)
    # An unopened think block (some servers drop the tag).
    text = re.sub(r"^.*?</think>", "", text, flags=re.S)
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, flags=re.S)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text.strip()


_CLAUSE_END = re.compile(r"[，,：:；;、—]")


def fit_headline(raw: str, most: int) -> str:
    """``raw`` with a headline over ``most`` 字 cut after its last clause that fits, when that keeps at
    least half: the local grammar counts Chinese characters only, and a headline with many Latin names ran
    to 50 字, refused three times (the item was lost). Anything else is left to the validator."""
    try:
        data = json.loads(clean_output(raw))
    except json.JSONDecodeError:
        return raw
    headline = data.get("headline") if isinstance(data, dict) else None
    if not isinstance(headline, str) or count_zi(headline) <= most:
        return raw
    cuts = [m.start() for m in _CLAUSE_END.finditer(headline)
            if most // 2 <= count_zi(headline[:m.start()]) <= most]
    if not cuts:
        return raw
    data["headline"] = headline[:cuts[-1]].rstrip()
    return json.dumps(data, ensure_ascii=False)


def parse_summary(raw: str, rules: Rules) -> Summary:
    """Validate raw model output. Raises ValueError with Chinese reasons the model can act on."""
    summary: Summary = parse_model_json(raw, Summary, rules)
    return summary


def parse_model_json(raw: str, model: type[BaseModel], rules: object) -> Any:
    """Any JSON reply validated as ``model`` (a summary, a weekly's prose), cleaned of control characters.

    Raises ValueError with Chinese reasons the model can act on."""
    cleaned = clean_output(raw)
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ValueError(f"输出不是合法的JSON（{exc.msg}，第{exc.pos}个字符）") from exc
    if not isinstance(data, dict):
        raise ValueError("输出必须是一个JSON对象")
    data = clean_data(data)  # control characters and bidi overrides never reach storage or output
    try:
        return model.model_validate(data, context={"rules": rules})
    except ValidationError as exc:
        reasons = []
        for err in exc.errors():
            field_name = ".".join(str(p) for p in err["loc"]) or "输出"
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "missing":
                message = "缺少该字段"
            reasons.append(f"{field_name}: {message}")
        raise ValueError("；".join(reasons)) from exc
