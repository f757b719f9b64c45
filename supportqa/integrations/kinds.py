"""The kinds of import, with how the web form names them: the one list the command line, the
form, the importer and the run page read."""

KINDS = {
    "native": "Conversations — native JSONL",
    "csv": "Conversations — CSV, one row per message",
    "twitter": "Conversations — Twitter customer-care JSON",
    "surveys": "Survey responses — CSV",
    "users": "Users and teams — CSV",
}
