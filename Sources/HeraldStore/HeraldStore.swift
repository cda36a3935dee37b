// HeraldStore: see DESIGN.md
