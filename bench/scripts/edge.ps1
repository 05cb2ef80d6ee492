# Role edge, server Relay01: remove setup's receive connector (port 25), so
# that only relay.ps1's connector listens. Give it before relay.ps1. The
# Edge's anti-spam agents stay on with their defaults (agents-off.ps1 turns
# them off, leaving an empty agent chain).
Remove-ReceiveConnector "Default internal Receive connector Relay01" -Confirm:$false
