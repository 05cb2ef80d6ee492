# Role hub, server Relay01: remove setup's receive connectors (ports 25 and
# 587), so that only relay.ps1's connector listens. Give it before relay.ps1.
Remove-ReceiveConnector "Default Relay01" -Confirm:$false
Remove-ReceiveConnector "Client Relay01" -Confirm:$false
