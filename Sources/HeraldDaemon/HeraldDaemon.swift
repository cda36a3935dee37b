// HeraldDaemon: see DESIGN.md
