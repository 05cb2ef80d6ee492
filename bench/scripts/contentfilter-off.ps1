# The Edge's content filter agent off, the other agents as they are.
Set-ContentFilterConfig -Enabled $false
