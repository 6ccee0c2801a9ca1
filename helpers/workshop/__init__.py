"""The facilitator's workshop on one shared account (00_facilitator): attendees isolated by IAM user, prefix, tags
and a permissions boundary; the room's quotas, budget, table and sweep; and the offline rehearsal."""
from helpers.workshop.attendee_policy import attendee_policy, boundary_policy
from helpers.workshop.attendees import (Attendee, attendee_config, create_attendee, delete_attendees, ensure_boundary,
                                        hand_out_keys, workshop_users)
from helpers.workshop.budget import budget_name, delete_budget, ensure_budget, find_budget
from helpers.workshop.quotas import room_quotas
from helpers.workshop.rehearsal import AttendeeDay, Rehearsal, day_rows, rehearse, simulate_attendees
from helpers.workshop.room import room_table
from helpers.workshop.room_sweep import inventory_rows, kit_prefixes, prove_room_empty, room_inventory, sweep_room

__all__ = ["attendee_policy", "boundary_policy", "Attendee", "attendee_config", "create_attendee", "delete_attendees",
           "ensure_boundary", "hand_out_keys", "workshop_users", "budget_name", "delete_budget", "ensure_budget",
           "find_budget", "room_quotas", "AttendeeDay", "Rehearsal", "day_rows", "rehearse", "simulate_attendees",
           "room_table", "inventory_rows", "kit_prefixes", "prove_room_empty", "room_inventory", "sweep_room"]
