package ioc_test

import (
	"errors"
	"fmt"

	"bulwark/internal/ioc"
)

func ExampleNormalize() {
	for _, in := range []struct {
		t   ioc.Type
		raw string
	}{
		{ioc.TypeURL, "hxxps://Evil[.]example:443/a/../login.php#top"},
		{ioc.TypeDomain, "bộcôngan.vn."},
		{ioc.TypePhone, "(+84) 912.345.678"},
		{ioc.TypeCIDR, "192.168.1.77/24"},
		{ioc.TypeURL, "https://user:secret@evil.example/"},
	} {
		v, err := ioc.Normalize(in.t, in.raw)
		if errors.Is(err, ioc.ErrInvalid) {
			fmt.Println(err)
			continue
		}
		fmt.Println(v)
	}
	// Output:
	// https://evil.example/login.php
	// xn--bcngan-jxa6332d.vn
	// +84912345678
	// 192.168.1.0/24
	// invalid URL: contains a user name or password before "@"; remove it (the host is "evil.example")
}

func ExampleDetectAll() {
	matches, _ := ioc.DetectAll("0912 345 678")
	for _, m := range matches {
		fmt.Println(m.Type, m.Value)
	}
	// Output:
	// phone +84912345678
	// account 0912345678
}

func ExampleParentDomains() {
	fmt.Println(ioc.ParentDomains("a.b.evil.example.com.vn"))
	// Output: [b.evil.example.com.vn evil.example.com.vn example.com.vn]
}
