// Package directive keeps the subcommittee's work: its meetings (who
// attended, the agenda, minutes in Markdown, the decisions taken, the
// documents), the directives it gives member agencies (what, where it comes
// from, a lead agency and coordinating agencies, a deadline or a recurrence
// such as "before 20 June and 15 December", a priority), the agencies'
// acknowledgements, progress notes with attachments and completion, the
// issuer's acceptance or return, e-mail reminders, the year's plan and the
// scorecard per agency, and an iCalendar feed of deadlines.
//
// A recurring directive is expanded, when it is issued, into one task per
// occurrence, each with its own deadline and state; a one-off directive has
// one task. A task's state is what people set (assigned, acknowledged, in
// progress, done, returned, cancelled); its Status adds what the calendar
// decides: done on time or late (the completion date against the
// deadline) and overdue (open after its deadline). Overdue is computed on
// reading and can never be set by hand.
//
// Every method checks the caller (access.From(ctx)) against the policies in
// internal/access/directive.go, and every change is written to the audit
// log in the transaction of the change.
package directive
