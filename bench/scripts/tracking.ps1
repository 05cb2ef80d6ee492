# Message tracking on: the log is written to the directory "tracking",
# relative to the server's working directory (the bench runs it in the
# run's fresh queue directory with env -C, so every run starts empty).
Set-TransportServer Relay01 -MessageTrackingLogPath tracking
