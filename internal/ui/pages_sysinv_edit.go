package ui

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/sysinv"
)

// Editing pages of the information systems inventory: a component's own
// form (add and delete are on the system page) and the requirement
// checklist's items. The service checks who may change what; the pages
// only leave out forms a user could not send.

// componentInput reads the component form (the system page's "add" form
// and the edit page share the field names).
func componentInput(r *http.Request) sysinv.ComponentInput {
	level, _ := strconv.Atoi(r.PostFormValue("level"))
	return sysinv.ComponentInput{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Level: level,
		IPs: sysinv.SplitList(r.PostFormValue("ips")), Domains: sysinv.SplitList(r.PostFormValue("domains")), Ports: sysinv.SplitList(r.PostFormValue("ports")),
		OS: r.PostFormValue("os"), OSVersion: r.PostFormValue("os_version"), OSCPE: r.PostFormValue("os_cpe"), Software: r.PostFormValue("software"),
		SoftwareVersion: r.PostFormValue("software_version"), CPE: r.PostFormValue("cpe"), Notes: r.PostFormValue("notes")}
}

type componentFormPage struct {
	Page
	S   sysinv.System
	CID int64
	C   sysinv.ComponentInput
	Opt sysOptions
}

func componentID(r *http.Request) (int64, error) {
	cid, err := strconv.ParseInt(r.PathValue("cid"), 10, 64)
	if err != nil || cid <= 0 {
		return 0, errs.E(errs.NotFound, "not found")
	}
	return cid, nil
}

func (h *Handler) systemEditComponent(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cid, err := componentID(r)
	if err != nil {
		return err
	}
	sys, err := h.systems.GetSystem(r.Context(), id)
	if err != nil {
		return err
	}
	if !access.CanEditSystem(u, sys.OwnerAgencyID) {
		return errs.E(errs.Forbidden, "you may not edit this system")
	}
	comps, err := h.systems.Components(r.Context(), id)
	if err != nil {
		return err
	}
	for _, c := range comps {
		if c.ID == cid {
			in := sysinv.ComponentInput{Name: c.Name, Kind: c.Kind, Level: c.Level, IPs: c.IPs, Domains: c.Domains, Ports: c.Ports,
				OS: c.OS, OSVersion: c.OSVersion, OSCPE: c.OSCPE, Software: c.Software, SoftwareVersion: c.SoftwareVersion, CPE: c.CPE, Notes: c.Notes}
			p := h.page(r, c.Name+" · "+sys.Name, "systems")
			return h.render(w, http.StatusOK, "system_component", componentFormPage{Page: p, S: sys, CID: cid, C: in, Opt: h.sysOptions(r)})
		}
	}
	return errs.E(errs.NotFound, "component %d not found", cid)
}

func (h *Handler) systemUpdateComponent(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cid, err := componentID(r)
	if err != nil {
		return err
	}
	in := componentInput(r)
	if _, err := h.systems.UpdateComponent(r.Context(), id, cid, in); err != nil {
		sys, gerr := h.systems.GetSystem(r.Context(), id)
		if gerr != nil {
			return err
		}
		p := h.page(r, in.Name+" · "+sys.Name, "systems")
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "system_component", componentFormPage{Page: p, S: sys, CID: cid, C: in, Opt: h.sysOptions(r)})
	}
	return redirect(w, r, withFlash(sysPath(id), "flash.saved")+"#components")
}

type checklistItemsPage struct {
	Page
	Items   []sysinv.ChecklistItem
	Edit    sysinv.ChecklistItem // the form: ID 0 adds an item
	CanEdit bool
	Groups  []string
	Levels  []int
}

func (h *Handler) renderChecklistItems(w http.ResponseWriter, r *http.Request, status int, p Page, edit sysinv.ChecklistItem) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	items, err := h.systems.ChecklistItems(r.Context(), true)
	if err != nil {
		return err
	}
	return h.render(w, status, "checklist_items", checklistItemsPage{Page: p, Items: items, Edit: edit, CanEdit: access.CanEditChecklist(u),
		Groups: sysinv.ChecklistGroups, Levels: []int{1, 2, 3, 4, 5}})
}

func (h *Handler) checklistItems(w http.ResponseWriter, r *http.Request) error {
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.checklist_items")
	edit := sysinv.ChecklistItem{Group: "management", MinLevel: 1, Active: true}
	if raw := r.URL.Query().Get("edit"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return errs.E(errs.NotFound, "not found")
		}
		items, err := h.systems.ChecklistItems(r.Context(), true)
		if err != nil {
			return err
		}
		found := false
		for _, it := range items {
			if it.ID == id {
				edit, found = it, true
			}
		}
		if !found {
			return errs.E(errs.NotFound, "checklist item %d not found", id)
		}
	}
	return h.renderChecklistItems(w, r, http.StatusOK, p, edit)
}

func (h *Handler) checklistItemSave(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if raw := r.PathValue("id"); raw != "" {
		var err error
		if id, err = strconv.ParseInt(raw, 10, 64); err != nil || id <= 0 {
			return errs.E(errs.NotFound, "not found")
		}
	}
	minLevel, _ := strconv.Atoi(r.PostFormValue("min_level"))
	position, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("position")))
	it := sysinv.ChecklistItem{ID: id, Code: r.PostFormValue("code"), Group: r.PostFormValue("group"), Area: r.PostFormValue("area"),
		MinLevel: minLevel, TextVI: r.PostFormValue("text_vi"), TextEN: r.PostFormValue("text_en"), Position: position,
		Active: id == 0 || r.PostFormValue("active") == "1"}
	if _, err := h.systems.SaveChecklistItem(r.Context(), it); err != nil {
		p := h.page(r, "", "systems")
		p.Title = p.L.T("sys.checklist_items")
		if !formError(&p, err) {
			return err
		}
		return h.renderChecklistItems(w, r, http.StatusBadRequest, p, it)
	}
	return redirect(w, r, withFlash("/checklist-items", "flash.saved"))
}

// spoolFeed streams the uploaded catalogue to a file (the kind field comes
// before the file in the form, so nothing is held in memory) and starts
// its import in the background.
func (h *Handler) spoolFeed(r *http.Request) (sysinv.FeedRun, error) {
	mr, err := multipartFrom(r)
	if err != nil {
		return sysinv.FeedRun{}, err
	}
	part, fields, err := nextFilePart(mr)
	if err != nil {
		return sysinv.FeedRun{}, err
	}
	defer part.Close()
	f, err := os.CreateTemp(h.intelSpool, "bulwark-feed-*")
	if err != nil {
		return sysinv.FeedRun{}, err
	}
	if _, err := io.Copy(f, part); err != nil {
		f.Close()
		os.Remove(f.Name())
		return sysinv.FeedRun{}, err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return sysinv.FeedRun{}, err
	}
	return h.systems.StartImportFile(r.Context(), fields["kind"], part.FileName(), f.Name(), true)
}

type feedRunPage struct {
	Page
	Run     sysinv.FeedRun
	Running bool
}

// feedRunPage shows one import; while it runs the page reloads itself.
func (h *Handler) feedRunPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := h.systems.GetFeedRun(r.Context(), id)
	if err != nil {
		return err
	}
	p := h.page(r, "", "systems")
	p.Title = p.L.T("sys.feed_run_title", run.Source)
	return h.render(w, http.StatusOK, "system_feed_run", feedRunPage{Page: p, Run: run, Running: run.Status == "running"})
}
