"""The one door to every feature: the CLI, the REST API, the web app and the MCP tools call
these functions, with the same settings, validation, defaults and JSON shapes.

    resources   Resources: the knowledge base, searcher, claim tables and vault of a process
    knowledge   build, health, sources, one record, a vault page
    search      search hits, cited answers (whole or streamed)
    codes       code cards and code-set diffs
    visits      E/M leveling
    claims      claim checks (CSV, JSON, parsed claims; streamed for files of any size)
    pricing     Medicare allowed amounts and payment localities

Each skin parses its own transport and renders the returned JSON-ready values; nothing here
decides a search, an answer, a code card or a claim verdict: those live in their packages.
Each module imports only the feature packages it uses, so a command pays only for its own.
"""
