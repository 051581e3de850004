"""The model stage: an Article becomes a checked Summary. In: items.Article, Rules and sections (config), the
trust checks (trust.checks). Out: summarize.SummaryResult (Summary + CheckResult + every attempt), stored as
items.CheckedSummary; llm.Completion for each call (journaled by ``journal``).

    llm        the only openai client                  providers   hosted or bundled local model -> LLMClient
    local      the bundled llama.cpp server            local_server  its child process (python -m ...)
    tokens     the only tiktoken: budgets              journal      each call of an unfinished article
    prompts    prompts/*.j2 and their fingerprint      replies      the reply schema, cleaning, validation
    summarize  prompt -> call -> validate -> check -> re-ask (Summarizer)
"""
