"""The read-only web console at /console: server-rendered pages over the API's own services.

An edge like the API (service.api), mounted beside it by service.server. Routes are thin; what a
page shows is computed by pure view-model modules (chart, report, timeline, formatting, filters)
that are tested without fixtures.
"""
