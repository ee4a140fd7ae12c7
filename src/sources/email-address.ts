import { domainToUnicode } from 'node:url';
import { z } from 'zod';

/**
 * The characters an address may hold: the HTML5 `input[type=email]` grammar (an unquoted local
 * part of atom characters and dots, then LDH domain labels). It has no quoted local parts, no
 * comments, no IP literals and no non-ASCII text, none of which an import should carry: WorkOS
 * documents no grammar of its own, and a browser's email field refuses every one of them. zod's
 * default pattern is narrower still (no `!#$%...`, an alphabetic TLD only) and would refuse real
 * addresses and `xn--` TLDs.
 */
const html5EmailSchema = z.email({ pattern: z.regexes.html5Email });

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets, two of them the angle brackets. */
const maxEmailLength = 254;
/** RFC 5321 §4.5.3.1.1. */
const maxLocalPartLength = 64;
/** RFC 1035 §2.3.4: 255 octets on the wire is 253 characters written out. */
const maxDomainLength = 253;
/** RFC 1035 §2.3.4. */
const maxLabelLength = 63;
/**
 * RFC 952/1123 host names: letters, digits and hyphens, never a hyphen at either end. An
 * underscore is legal in DNS but not in a host name, so no mail host has one.
 */
const ldhLabel = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
/** An IDNA A-label (RFC 5890): the ASCII form of a Unicode label, valid wherever LDH is. */
const aLabelPrefix = /^xn--/i;

/**
 * Whether WorkOS can take this address as a user's email, so that a record WorkOS would refuse
 * is rejected `invalid_email` when the export is split, not hours later by the API. Unicode
 * domains are refused: WorkOS takes the ASCII (`xn--`) form, which the export should hold.
 */
export function isImportableEmail(value: string): boolean {
  if (value.length > maxEmailLength) return false;
  if (!html5EmailSchema.safeParse(value).success) return false;
  // The grammar has exactly one `@`, and it is not inside the local part.
  const at = value.lastIndexOf('@');
  return isDotAtomLocalPart(value.slice(0, at)) && isHostDomain(value.slice(at + 1));
}

/**
 * RFC 5322 `dot-atom`: HTML5 lets dots fall anywhere, but a leading, trailing or doubled dot is
 * only legal quoted, and mail servers refuse it unquoted.
 */
function isDotAtomLocalPart(localPart: string): boolean {
  return (
    localPart.length <= maxLocalPartLength &&
    !localPart.startsWith('.') &&
    !localPart.endsWith('.') &&
    !localPart.includes('..')
  );
}

/** A domain mail can be delivered to by name. */
function isHostDomain(domain: string): boolean {
  if (domain.length > maxDomainLength) return false;
  const labels = domain.split('.');
  // A single label (`localhost`, `intranet`) names no host on the public internet.
  if (labels.length < 2) return false;
  // RFC 3696 §2: a TLD is never all-numeric, which also keeps out a bare IPv4 address.
  if (/^\d+$/.test(labels.at(-1) ?? '')) return false;
  return labels.every(
    (label) =>
      label.length <= maxLabelLength &&
      ldhLabel.test(label) &&
      (!aLabelPrefix.test(label) || isDecodableALabel(label)),
  );
}

/**
 * A broken A-label (`xn--zz`) is no Unicode name's ASCII form, so it names no domain. Node
 * answers one with an empty text or the label unchanged, never with its Unicode form.
 */
function isDecodableALabel(label: string): boolean {
  const unicode = domainToUnicode(label);
  return unicode !== '' && !aLabelPrefix.test(unicode);
}
