package sysinv

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"bulwark/internal/access"
)

// exportHeader names the inventory columns (English; the pages label the
// download in the user's language).
var exportHeader = []string{"id", "name", "owner_agency", "operator", "system_type", "info_class", "personal_users", "reach", "always_on",
	"proposed_level", "approved_level", "suggested_level", "component_level", "level_mismatch", "approval_number", "approval_date",
	"national_critical", "status", "dossier_status", "components", "addresses", "open_findings", "kev_findings", "overdue_duties",
	"compliance_percent", "risk_score"}

// inventory returns the export rows for the systems the caller may see.
// Addresses are included only where the caller may see them.
func (s *Service) inventory(ctx context.Context) ([][]string, error) {
	pv, err := s.Overview(ctx, 0, "agency")
	if err != nil {
		return nil, err
	}
	p := access.From(ctx)
	out := [][]string{exportHeader}
	for _, r := range pv.Rows {
		sys := r.System
		comps, err := listComponents(ctx, s.db, sys.ID)
		if err != nil {
			return nil, err
		}
		var addrs []string
		if access.CanSeeAddresses(p, sys.OwnerAgencyID, sys.AddressTLP) {
			for _, c := range comps {
				addrs = append(addrs, c.IPs...)
				addrs = append(addrs, c.Domains...)
			}
		} else if len(comps) > 0 {
			addrs = []string{"TLP:" + string(sys.AddressTLP)}
		}
		operator := sys.OperatorAgency
		if sys.OperatorProvider != "" {
			operator = strings.TrimSpace(operator + " " + sys.OperatorProvider)
		}
		out = append(out, []string{strconv.FormatInt(sys.ID, 10), sys.Name, sys.OwnerAgency, operator, sys.Type, sys.InfoClass,
			strconv.Itoa(sys.PersonalUsers), sys.Reach, strconv.FormatBool(sys.AlwaysOn), strconv.Itoa(sys.ProposedLevel),
			strconv.Itoa(sys.ApprovedLevel), strconv.Itoa(sys.Suggested.Level), strconv.Itoa(sys.ComponentLevel), strconv.FormatBool(sys.LevelMismatch),
			sys.ApprovalNumber, sys.ApprovalDate, strconv.FormatBool(sys.NationalCritical), sys.Status, sys.DossierStatus,
			strconv.Itoa(len(comps)), strings.Join(addrs, " "), strconv.Itoa(r.Risk.OpenFindings), strconv.Itoa(r.Risk.KEVFindings),
			strconv.Itoa(r.Risk.OverdueDuties), strconv.FormatFloat(r.Compliance.Percent, 'f', 1, 64), strconv.FormatFloat(r.Risk.Score, 'f', 1, 64)})
	}
	return out, nil
}

// csvSafe defuses cells a spreadsheet would run as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return "'" + v
		}
	}
	return v
}

// ExportCSV writes the inventory the caller may see as CSV (UTF-8 with a
// byte-order mark, so spreadsheet programs read Vietnamese correctly).
func (s *Service) ExportCSV(ctx context.Context, w io.Writer) error {
	rows, err := s.inventory(ctx)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	for _, r := range rows {
		for i := range r {
			r[i] = csvSafe(r[i])
		}
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("sysinv: export csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// ExportXLSX writes the inventory the caller may see as an Excel workbook
// with one sheet, numbers as numbers.
func (s *Service) ExportXLSX(ctx context.Context, w io.Writer) error {
	rows, err := s.inventory(ctx)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Systems"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("sysinv: export xlsx: %w", err)
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
			if i > 0 {
				if n, err := strconv.ParseFloat(v, 64); err == nil && j != 1 && j != 14 {
					vals[j] = n
				}
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return fmt.Errorf("sysinv: export xlsx row %d: %w", i, err)
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("sysinv: export xlsx: %w", err)
	}
	if err := f.AutoFilter(sheet, fmt.Sprintf("A1:%s", lastCol(len(exportHeader))), nil); err != nil {
		return fmt.Errorf("sysinv: export xlsx: %w", err)
	}
	_, err = f.WriteTo(w)
	return err
}

func lastCol(n int) string {
	c, _ := excelize.ColumnNumberToName(n)
	return c + "1"
}
