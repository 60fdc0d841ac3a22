import Logging

/// The desk's long-lived parts, built once from the configuration: the insurance lookup (off by default) and the
/// serial QR scanner's feed (none by default).
struct DeskServices: Sendable {
    let insurance: any InsuranceLookup
    let scanner: QRScannerFeed?

    init(settings: DeskSettings) {
        if let gateway = settings.insurance {
            insurance = InsuranceGatewayClient(settings: gateway)
        } else {
            insurance = InsuranceOff()
        }
        scanner = settings.qrScanner.map { QRScannerFeed(path: $0) }
    }
}
