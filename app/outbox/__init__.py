"""One outbox for everything the line sends to another system: pages, texts and calls, e-mail,
ticket updates and callers' news are rows of one mechanism, each kind with its own table.

A worker claims due rows with a lease committed before any network call (two workers never
take the same row; a dead worker's rows are taken again once its lease runs out), renews the
lease while it works, retries what failed with its kind's backoff, parks a row after its kind's
number of tries, keeps a kind's rows in order per key where the kind needs it (a ticket's updates
per incident), and keeps one health record per outside system with one alert path to the leads.
"""
