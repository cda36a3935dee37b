// HeraldServer: see DESIGN.md
