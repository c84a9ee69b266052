package ioc

import (
	"strings"
)

// Bank account numbers in Vietnam run from 6 to 19 digits (19 covers card
// numbers used as payment targets).
const (
	minAccountDigits = 6
	maxAccountDigits = 19
	maxBankCodeLen   = 20
)

// NormalizeAccount returns a bank account as "BANKCODE:digits". The bank
// code (a short name such as "VCB" or "MB", or a NAPAS BIN such as
// "970436") is upper-cased and must be 2-20 letters A-Z or digits; the
// number may be written with spaces, dots or hyphens, which are dropped,
// and must then be 6-19 digits. Leading zeros are kept: they are part of
// the number.
func NormalizeAccount(bankCode, number string) (string, error) {
	if len(bankCode) > MaxLen(TypeAccount) {
		return "", invalid(TypeAccount, "the bank code is too long")
	}
	code := strings.ToUpper(strings.TrimFunc(bankCode, isSpace))
	switch {
	case code == "":
		return "", invalid(TypeAccount, "the bank code is missing")
	case len(code) < 2 || len(code) > maxBankCodeLen:
		return "", invalid(TypeAccount, "the bank code must be 2 to %d letters or digits", maxBankCodeLen)
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "", invalid(TypeAccount, "the bank code may contain only letters A-Z and digits, such as VCB or 970436")
		}
	}
	n, err := NormalizeAccountNumber(number)
	if err != nil {
		return "", err
	}
	return code + ":" + n, nil
}

// NormalizeAccountNumber returns just the digits of an account number,
// for look-ups where the bank is not known (the public "is this account a
// scam?" search). Stored accounts use NormalizeAccount.
func NormalizeAccountNumber(number string) (string, error) {
	s, err := prepare(TypeAccount, number)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '.' || c == '-':
		default:
			return "", invalid(TypeAccount, "the account number may contain only digits (spaces, dots and hyphens are ignored)")
		}
	}
	d := b.String()
	if len(d) < minAccountDigits || len(d) > maxAccountDigits {
		return "", invalid(TypeAccount, "the account number has %d digits; it must have %d to %d", len(d), minAccountDigits, maxAccountDigits)
	}
	return d, nil
}

// SplitAccount splits a canonical account ("VCB:0011001234567") into its
// bank code and number; ok is false when s is not in that form.
func SplitAccount(s string) (bankCode, number string, ok bool) {
	bankCode, number, ok = strings.Cut(s, ":")
	return bankCode, number, ok && bankCode != "" && number != ""
}

// normalizeAccountPair handles Normalize(TypeAccount, "BANKCODE:number").
func normalizeAccountPair(raw string) (string, error) {
	s, err := prepare(TypeAccount, raw)
	if err != nil {
		return "", err
	}
	code, number, ok := strings.Cut(s, ":")
	if !ok {
		return "", invalid(TypeAccount, "write it as BANKCODE:number, for example VCB:0011001234567")
	}
	return NormalizeAccount(code, number)
}
