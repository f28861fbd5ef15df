"""The monthly report to the team lead: the 60-minute goal, hours, customers (`monthly`), and its
CSV files and chart (`exports`). A caller's report of a problem is `models.Report`."""
