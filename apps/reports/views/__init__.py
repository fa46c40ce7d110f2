"""Web pages of seizure and offence reports: lists, the entry form, the report page and its workflow.

One module per page: ``lists``, ``entry`` (the form and its htmx fragments), ``detail``, ``review``
(the workflow actions), ``attachments``, ``share``; ``base`` holds what they share.

Every report is looked up through the domain selectors (``restrict()`` underneath): a report outside
the user's reach is a 404. Views parse input, call the domain, and render; the rules live in
``apps.reports.services`` / ``selectors`` / ``validation``.
"""
