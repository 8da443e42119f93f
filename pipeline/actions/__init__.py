"""What people do with sohoa, each written once.

The API's routes, the web pages and the CLI commands only parse their input, call one of these
functions and render its answer, so the same action (a download and its audit event, a search, a
review, a report, a signer's status) behaves the same whichever door it came through. Every query
behind them lives in ``sohoa.storage``; these functions hold the rule of the action: who may see
what, which event is recorded, which error is raised.
"""
