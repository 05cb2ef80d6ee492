# Every anti-spam agent of an Edge off: the server still gives the
# transport an agent chain, with no agent in it.
Set-IPAllowListConfig -Enabled $false
Set-IPBlockListConfig -Enabled $false
Set-ContentFilterConfig -Enabled $false
Set-SenderIdConfig -Enabled $false
Set-SenderFilterConfig -Enabled $false
Set-RecipientFilterConfig -Enabled $false
