"""The Azure OpenAI emulator: the OpenAI-compatible world (`openai_compat`) in Azure's flavor
under `/openai/v1/...`, as the plain `openai` SDK reaches an Azure resource's v1 API
(`base_url=f"{endpoint}/openai/v1/"`); `mount.mount` hands it to the app. Its own world: an Azure
resource shares no file or job with the OpenAI account beside it. What is Azure's own lives here:
the `api-key` check and its error body, the fault wording, the id shapes, the models and
`<base>.ft-<hex>` names, `trainingType`, and metadata that is accepted but not kept. It imports no
sibling provider.
"""
