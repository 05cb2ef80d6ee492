# The Edge's Sender ID agent off (no SPF check), the other agents as they are.
Set-SenderIdConfig -Enabled $false
