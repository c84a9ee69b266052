// Package fraud is the online-fraud capability: citizens and staff report
// scam phone numbers, phishing sites, mule bank accounts and social
// profiles; each identifier is normalised with package ioc and kept once as
// a subject that counts its reports; police analysts verify subjects;
// confirmed phones and accounts become referrals to the telecom or bank
// that holds them, whose liaisons answer with an outcome; confirmed
// phishing domains go to threat intelligence as TLP:CLEAR indicators;
// the public can look a number or site up, partners download blocklists.
//
// Reporters' contact details are personal data (Law 91/2025): only police
// analysts see them, every view is audited, closed reports are anonymised
// after a configurable retention period, and an admin can export or erase
// one reporter's data. Public answers never carry reporter data or report
// text.
//
// Every method checks access itself (package access), so the pages and the
// API cannot differ.
package fraud

import (
	"slices"
	"time"
)

// Channel is how the scammer reached the victim.
type Channel string

// The channels of the public form.
const (
	ChannelCall     Channel = "call"
	ChannelSMS      Channel = "sms"
	ChannelZalo     Channel = "zalo"
	ChannelFacebook Channel = "facebook"
	ChannelSocial   Channel = "social"
	ChannelWebsite  Channel = "website"
	ChannelApp      Channel = "app"
	ChannelTransfer Channel = "transfer"
	ChannelOther    Channel = "other"
)

// Channels lists the channels in form order.
var Channels = []Channel{ChannelCall, ChannelSMS, ChannelZalo, ChannelFacebook, ChannelSocial, ChannelWebsite, ChannelApp, ChannelTransfer, ChannelOther}

// ScamTypes lists the kinds of scam the form offers, in form order. The
// codes are stored; labels live in the i18n catalogs (fraud.scam.<code>).
var ScamTypes = []string{
	"impersonation_police", "impersonation_official", "impersonation_bank", "impersonation_relative",
	"investment", "online_job", "loan", "shopping", "prize", "romance", "phishing_link", "account_takeover", "other",
}

// IdentifierKind is the kind of a suspect identifier, and of a subject.
type IdentifierKind string

// The identifier kinds. A URL is reduced to its registered domain: the
// subject is the domain, the URLs are kept as details of the reports.
const (
	KindPhone   IdentifierKind = "phone"
	KindSender  IdentifierKind = "sender"
	KindURL     IdentifierKind = "url"
	KindDomain  IdentifierKind = "domain"
	KindSocial  IdentifierKind = "social"
	KindAccount IdentifierKind = "account"
	KindWallet  IdentifierKind = "ewallet"
)

// IdentifierKinds lists the kinds a report may name, in form order.
var IdentifierKinds = []IdentifierKind{KindPhone, KindSender, KindURL, KindSocial, KindAccount, KindWallet}

// Status is a subject's verification status.
type Status string

// The subject statuses.
const (
	StatusUnverified   Status = "unverified"
	StatusUnderReview  Status = "under_review"
	StatusConfirmed    Status = "confirmed"
	StatusInsufficient Status = "insufficient"
	StatusCleared      Status = "cleared"
)

// Statuses lists the subject statuses in workflow order.
var Statuses = []Status{StatusUnverified, StatusUnderReview, StatusConfirmed, StatusInsufficient, StatusCleared}

// Decided reports whether the status ends the verification.
func (s Status) Decided() bool {
	return s == StatusConfirmed || s == StatusInsufficient || s == StatusCleared
}

// Report statuses, as the reporter sees them on the status page.
const (
	ReportReceived  = "received"
	ReportInReview  = "in_review"
	ReportProcessed = "processed"
)

// Sources of a report.
const (
	SourcePublic = "public"
	SourceStaff  = "staff"
	SourceImport = "import"
)

// Legal bases of processing the reporter's data.
const (
	BasisConsent         = "consent"
	BasisCrimePrevention = "crime_prevention"
)

// Referral actions asked of telecoms and banks.
var (
	TelecomActions = []string{"reverify", "suspend_outgoing", "suspend_both", "terminate"}
	BankActions    = []string{"warn", "hold"}
)

// Limits of one report. They bound what one request can make the server
// store and index; the errors name the field.
const (
	MaxIdentifiers   = 20
	MaxNarrative     = 5000 // runes
	MaxName          = 200  // runes
	MaxReason        = 2000 // runes
	MaxEvidenceFiles = 5
	MaxEvidenceSize  = 5 << 20
	MaxAmount        = 1_000_000_000_000_000 // VND; larger is a typing error
	// DefaultMaxImportBytes bounds one CSV import unless
	// Config.MaxImportBytes says otherwise. The file is read row by row,
	// so the limit is about how long one request may run, not memory.
	DefaultMaxImportBytes = 50 << 20
)

// Identifier is one suspect identifier as typed in a report.
type Identifier struct {
	Kind  IdentifierKind `json:"kind"`
	Value string         `json:"value"`
	// Bank is the bank (or e-wallet provider) code for accounts, e.g. "VCB".
	Bank string `json:"bank,omitempty"`
	// AccountName is the name on the account, as the scammer gave it.
	AccountName string `json:"account_name,omitempty"`
}

// Contact is the reporter's optional contact. Personal data.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Empty reports whether no contact was given (an anonymous report).
func (c Contact) Empty() bool { return c.Name == "" && c.Phone == "" && c.Email == "" }

// ReportInput is a new report, from the public form, the API or staff.
type ReportInput struct {
	Channel     Channel      `json:"channel"`
	ScamType    string       `json:"scam_type"`
	OccurredOn  string       `json:"occurred_on,omitempty"` // YYYY-MM-DD
	Amount      int64        `json:"amount,omitempty"`      // VND lost
	Narrative   string       `json:"narrative,omitempty"`
	Identifiers []Identifier `json:"identifiers"`
	Reporter    Contact      `json:"reporter"`
	// Consent is the reporter's explicit consent to the processing of the
	// personal data in the report; the public form never pre-ticks it.
	Consent bool `json:"consent"`
	// Website is the honeypot: a field hidden from people. A value means a
	// bot filled the form.
	Website string `json:"website,omitempty"`
}

// Receipt is what the reporter gets back: the tracking code, shown once.
type Receipt struct {
	TrackingCode string    `json:"tracking_code"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"created_at"`
}

// PublicStatus is what the tracking code reveals: the status of that one
// report, nothing about other reports or subjects.
type PublicStatus struct {
	Status        string     `json:"status"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	Identifiers   int        `json:"identifiers"`
	Confirmed     int        `json:"confirmed"`
	EvidenceFiles int        `json:"evidence_files"`
}

// Report is a stored report as staff see it. Reporter is filled only by
// ReporterContact (police analysts, audited).
type Report struct {
	ID          int64      `json:"id"`
	Source      string     `json:"source"`
	Channel     Channel    `json:"channel"`
	ScamType    string     `json:"scam_type"`
	OccurredOn  string     `json:"occurred_on,omitempty"`
	Amount      int64      `json:"amount"`
	Narrative   string     `json:"narrative"`
	Status      string     `json:"status"`
	LegalBasis  string     `json:"legal_basis"`
	Anonymous   bool       `json:"anonymous"`
	Anonymised  bool       `json:"anonymised"`
	KeepReason  string     `json:"keep_reason,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	Subjects    []Ref      `json:"subjects"`
	Evidence    []Evidence `json:"evidence"`
	FiledByUser int64      `json:"filed_by_user_id,omitempty"`
}

// Ref is a subject named by a report, with the report's detail (the URL
// for a domain, the account name for an account).
type Ref struct {
	SubjectID int64          `json:"subject_id"`
	Kind      IdentifierKind `json:"kind"`
	Value     string         `json:"value"`
	Status    Status         `json:"status"`
	Detail    string         `json:"detail,omitempty"`
}

// Evidence is one stored evidence file.
type Evidence struct {
	ID          int64     `json:"id"`
	ReportID    int64     `json:"report_id"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	Filename    string    `json:"filename"`
	CreatedAt   time.Time `json:"created_at"`
}

// Subject is one deduplicated suspect identifier.
type Subject struct {
	ID          int64          `json:"id"`
	Kind        IdentifierKind `json:"kind"`
	Value       string         `json:"value"`
	Status      Status         `json:"status"`
	Reason      string         `json:"reason,omitempty"`
	ReportCount int            `json:"report_count"`
	AmountTotal int64          `json:"amount_total"`
	Channels    []Channel      `json:"channels"`
	FirstReport time.Time      `json:"first_reported_at"`
	LastReport  time.Time      `json:"last_reported_at"`
	IncidentRef string         `json:"incident_ref,omitempty"`
	CaseNumber  string         `json:"case_number,omitempty"`
	ConfirmedAt *time.Time     `json:"confirmed_at,omitempty"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// HistoryEntry is one status change of a subject.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	From   Status    `json:"from"`
	To     Status    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	Actor  string    `json:"actor"`
}

// SubjectDetail is a subject with its reports side by side, its history,
// referrals and hand-offs: the verification view.
type SubjectDetail struct {
	Subject
	Reports   []Report       `json:"reports"`
	History   []HistoryEntry `json:"history"`
	Referrals []Referral     `json:"referrals"`
	Handoffs  []Handoff      `json:"handoffs"`
}

// Referral asks a telecom or bank to act on a confirmed subject.
type Referral struct {
	ID           int64          `json:"id"`
	SubjectID    int64          `json:"subject_id"`
	SubjectKind  IdentifierKind `json:"subject_kind"`
	SubjectValue string         `json:"subject_value"`
	Partner      string         `json:"partner"`
	PartnerName  string         `json:"partner_name"`
	PartnerKind  string         `json:"partner_kind"`
	AgencyID     int64          `json:"agency_id,omitempty"`
	Action       string         `json:"action"`
	Note         string         `json:"note,omitempty"`
	DueAt        time.Time      `json:"due_at"`
	Overdue      bool           `json:"overdue"`
	Outcome      string         `json:"outcome,omitempty"`
	OutcomeNote  string         `json:"outcome_note,omitempty"`
	OutcomeOn    string         `json:"outcome_on,omitempty"`
	AnsweredAt   *time.Time     `json:"answered_at,omitempty"`
	AnsweredBy   string         `json:"answered_by,omitempty"`
	CreatedAt    time.Time      `json:"created_at"`
	// PrefixHint is set on telecom referrals: the operator was chosen from
	// the number's prefix, which number portability can make wrong.
	PrefixHint bool `json:"prefix_hint,omitempty"`
}

// Partner is a telecom operator or bank that receives referrals.
type Partner struct {
	Code     string `json:"code"`
	Kind     string `json:"kind"` // telecom or bank
	Name     string `json:"name"`
	AgencyID int64  `json:"agency_id,omitempty"`
}

// Prefix maps a mobile prefix (national number without 0) to an operator.
type Prefix struct {
	Prefix  string `json:"prefix"`
	Partner string `json:"partner"`
}

// Outcome is one answer a partner may give to a referral.
type Outcome struct {
	Code     string `json:"code"`
	Kind     string `json:"kind"`
	LabelVI  string `json:"label_vi"`
	LabelEN  string `json:"label_en"`
	NeedNote bool   `json:"needs_note"`
	Active   bool   `json:"active"`
}

// Handoff is an indicator handed to threat intelligence.
type Handoff struct {
	ID        int64     `json:"id"`
	SubjectID int64     `json:"subject_id"`
	Type      string    `json:"type"` // ioc type: domain or url
	Value     string    `json:"value"`
	TLP       string    `json:"tlp"`
	Delivered bool      `json:"delivered"`
	CreatedAt time.Time `json:"created_at"`
}

func validChannel(c Channel) bool { return slices.Contains(Channels, c) }
