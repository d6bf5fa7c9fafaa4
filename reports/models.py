# Disclosures and the report archive arrive with the reporting issue.
