# After internet.ps1: DANE and MTA-STS off on "To Internet" (hubedge's own
# parameters), so its sessions follow the connector's settings alone
# (opportunistic TLS) without the TLSA and _mta-sts lookups.
Set-SendConnector "To Internet" -DaneEnabled $false -MtaStsEnabled $false
