"""The digest stage: the day's digest as data and as a Markdown draft. In: DigestItems (items.DigestItem, a
Summary of an article with its flags) and DigestSettings. Out: build.Digest (sections, 看点, Stats),
output/drafts/DATE.md and DATE.json (render), and a draft read back as parse.ParsedDigest (by review and
publish).

    build      items -> Digest: caps, sections, 看点, stats    render   Digest -> Markdown and JSON files
    parse      a draft's Markdown -> ParsedDigest              files    atomic writes
"""
