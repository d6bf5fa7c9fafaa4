"""The client portal: read-only pages written for a client (overview, account holdings,
documents, their advisor's contact), never the advisor's pages with buttons hidden."""
