package api

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// maxForwardedHops bounds how many X-Forwarded-For entries are looked at:
// a client may send any number of them.
const maxForwardedHops = 16

// clientAddr names the client a request comes from, for the
// failed-authentication throttle. It is the TCP peer, unless the peer is a
// trusted proxy (a load balancer in front of the replicas): then it is the
// nearest address in X-Forwarded-For that is not itself a trusted proxy,
// read from the right, because only the entries our own proxies appended
// can be believed; whatever the client sent comes first and may be forged.
// An entry that is not an IP address ends the walk at the address before
// it, so that garbage never names a client.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	client := peer
	for _, hop := range forwardedFromRight(r.Header.Values("X-Forwarded-For")) {
		addr, err := netip.ParseAddr(hop)
		if err != nil {
			break
		}
		client = addr.Unmap()
		if !isTrusted(client, trusted) {
			break
		}
	}
	return client.String()
}

// forwardedFromRight returns the X-Forwarded-For entries of the header
// lines from the last one back, at most maxForwardedHops of them: a client
// may send any number, and only the last few can matter.
func forwardedFromRight(lines []string) []string {
	var hops []string
	for i := len(lines) - 1; i >= 0 && len(hops) < maxForwardedHops; i-- {
		line := lines[i]
		for len(hops) < maxForwardedHops {
			cut := strings.LastIndexByte(line, ',')
			hops = append(hops, strings.TrimSpace(line[cut+1:]))
			if cut < 0 {
				break
			}
			line = line[:cut]
		}
	}
	return hops
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of addresses and CIDR
// prefixes (10.0.0.0/8, 192.0.2.7, fd00::/8).
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", item, err)
			}
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", item, err)
		}
		addr = addr.Unmap()
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}
