"""The OpenAI-compatible files and fine-tuning API, as more than one provider serves it.

OpenAI (`openai/`) and Azure OpenAI (`azure/`) answer the same wire API: files, uploads and
fine-tuning jobs with their events, checkpoints, metrics, result files, pause, resume and cancel,
the same dataset rules and the same job clock. That world lives here, once, parametrized by a
`flavor.Flavor` (ids, models, fine-tuned names, extra fields, metadata). Each provider builds its
own world from it (never shared: an Azure resource is not an OpenAI account) and mounts it under
its own path with its own key check and fault wording. This package imports no provider
package (import-linter); the shared modules one level up import nothing from it.
"""
