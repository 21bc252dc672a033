"""Web sources (issue 13): pages and site sections fetched, kept in sync, and turned into documents."""
