package incident

import (
	"context"
	"fmt"
	"strings"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/store"
)

func auditEntry(action, objectType, objectID, detail string) audit.Entry {
	return audit.Entry{Action: action, ObjectType: objectType, ObjectID: objectID, Detail: detail}
}

// recipients are the e-mail addresses of the coordinators and analysts of
// agencies, and of one named user, who can see inc.
func (s *Service) recipients(ctx context.Context, q store.Querier, inc *Incident, agencies []int64, userID int64) ([]string, error) {
	if len(agencies) == 0 && userID == 0 {
		return nil, nil
	}
	var cond []string
	var args []any
	if len(agencies) > 0 {
		cond = append(cond, `(u.agency_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(agencies)), ",")+`)
			AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role IN ('coordinator', 'analyst')))`)
		for _, a := range agencies {
			args = append(args, a)
		}
	}
	if userID != 0 {
		cond = append(cond, `u.id = ?`)
		args = append(args, userID)
	}
	rows, err := q.Query(ctx, `SELECT u.id, u.email FROM users u WHERE NOT u.disabled AND (`+strings.Join(cond, " OR ")+`) ORDER BY u.email`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: recipients: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			return nil, err
		}
		// RED incidents go only to the people named on them.
		if inc.TLP == access.Red && !containsID(inc.People, id) {
			continue
		}
		out = append(out, email)
	}
	return out, rows.Err()
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// notify queues a notification about inc inside tx, when a notifier is
// configured. The text carries the reference, labels and a link; the title
// only below RED.
func (s *Service) notify(ctx context.Context, tx *store.Tx, inc *Incident, event string, agencies []int64, userID int64, detail string) error {
	if s.notifier == nil {
		return nil
	}
	emails, err := s.recipients(ctx, tx, inc, agencies, userID)
	if err != nil {
		return err
	}
	title := inc.Title
	if inc.TLP == access.Red {
		title = "(TLP:RED)"
	}
	link := strings.TrimSuffix(s.cfg.BaseURL, "/") + fmt.Sprintf("/incidents/%d", inc.ID)
	var subjectVI, subjectEN string
	switch event {
	case "incident.created":
		subjectVI, subjectEN = "Sự cố mới", "New incident"
	case "incident.assigned":
		subjectVI, subjectEN = "Nhiệm vụ mới: "+taskTitle(detail), "New task: "+taskTitle(detail)
	case "incident.status":
		subjectVI, subjectEN = "Trạng thái: "+detail, "Status: "+detail
	case "incident.task_done":
		subjectVI, subjectEN = "Hoàn thành nhiệm vụ: "+taskTitle(detail), "Task done: "+taskTitle(detail)
	case "incident.deadline":
		subjectVI, subjectEN = "Thời hạn: "+detail, "Deadline: "+detail
	default:
		subjectVI, subjectEN = event, event
	}
	subject := fmt.Sprintf("[Bulwark] %s %s / %s", inc.Ref, subjectVI, subjectEN)
	body := fmt.Sprintf("%s — %s\nTLP:%s · %s · %s\n\n%s\n%s\n", inc.Ref, title, inc.TLP, inc.Severity, inc.Status, subjectVI+" / "+subjectEN, link)
	return s.notifier.Notify(ctx, tx, Notification{
		Event: event, Emails: emails, Subject: subject, Text: body,
		Payload: map[string]any{
			"event": event, "incident_id": inc.ID, "ref": inc.Ref, "status": inc.Status, "severity": inc.Severity,
			"tlp": inc.TLP, "category": inc.Category, "detail": detailFor(inc, detail), "url": link,
		},
	})
}

// detailFor keeps free text out of webhook payloads of RED incidents.
func detailFor(inc *Incident, detail string) string {
	if inc.TLP == access.Red {
		return ""
	}
	return detail
}
