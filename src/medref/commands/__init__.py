"""One module per `medref` sub-command, each exposing `command: click.Command`."""
