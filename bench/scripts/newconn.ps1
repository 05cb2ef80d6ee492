# After internet.ps1: one message per connection on "To Internet", so
# that every delivery opens a session and decides its TLS policy anew
# (the default carries up to 20 messages on one connection).
Set-SendConnector "To Internet" -SmtpMaxMessagesPerConnection 1
