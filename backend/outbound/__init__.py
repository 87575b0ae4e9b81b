"""What the server fetches from elsewhere on people's behalf (link previews): only over
connections to addresses that are checked where they are made."""
