// HeraldDelivery: see DESIGN.md
