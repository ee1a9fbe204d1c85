// The default client key of every limit: the client IP, with IPv6 grouped by /64 (one subscriber usually holds a
// whole /64, so per-address keys would give each client 2^64 budgets) and IPv4-mapped IPv6 read as IPv4.
import { Address6 } from 'ip-address'

/**
 * The client key of an address: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 as the start of its /64.
 * An unparsable address is kept as written (lowercase), so it still gets a budget of its own.
 */
export function clientIpKey(ip: string): string {
  if (!ip.includes(':')) return ip
  try {
    const address = new Address6(ip)
    if (address.isMapped4()) return address.to4().correctForm()
    return new Address6(`${address.correctForm()}/64`).startAddress().correctForm()
  } catch {
    return ip.toLowerCase()
  }
}
