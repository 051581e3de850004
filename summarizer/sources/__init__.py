"""The sources stage: the outside world read safely. In: feed URLs (FeedSettings) and page URLs. Out: feed
entries of the window (feeds.Entry, from RSS/Atom in ``feeds`` or JSON Feed in ``jsonfeed``), fetched pages
(fetch.FetchResult, with Validators for the next run) and extracted text (extract: title, text, method).

    feeds      RSS/Atom -> Entry, canonical URLs, the window       jsonfeed   JSON Feed -> RawEntry
    fetch      the only HTTP: caps, retries, encodings             addresses  which hosts may be connected to
    extract    page -> text (the only trafilatura)                 workers    extraction in processes
"""
