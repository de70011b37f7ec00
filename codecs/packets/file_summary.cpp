// Seed 004 section 9: File Summary packets (0x66 0x00 driver card, 0x01 workshop card, 0x02 VU).
#include "codecs/packets/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
// Values a file did not give are all ones (dcgw's File Summary packets, schema/files.md), as
// section 14's NULLs are; DownloadDate is always known.
constexpr std::uint8_t N = kNullable;
constexpr FieldSpec kDriver[] = {
    {"downloadDate", "DownloadDate", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"surname", "Surname", 20, 70, K::Utf16LE},
    {"firstNames", "FirstNames", 90, 70, K::Utf16LE},
    {"cardHolderBirthDate", "cardHolderBirthDate", 160, 4, K::Datef},
    {"cardValidBegin", "cardValidBegin", 164, 4, K::TimeReal, N},
    {"cardExpiryDate", "cardExpiryDate", 168, 4, K::TimeReal, N},
    {"cardIssuingMemberStateAlpha", "cardIssuingMemberStateAlpha", 172, 3, K::Ascii},
    {"drivingLicenceNumber", "drivingLicenceNumber", 175, 16, K::Ascii},
    {"activityStartDate", "activityStartDate", 191, 4, K::TimeReal, N},
    {"activityEndDate", "activityEndDate", 195, 4, K::TimeReal, N},
};
constexpr FieldSpec kWorkshop[] = {
    {"downloadDate", "DownloadDate", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"surname", "Surname", 20, 70, K::Utf16LE},
    {"firstNames", "FirstNames", 90, 70, K::Utf16LE},
    {"cardValidBegin", "cardValidBegin", 160, 4, K::TimeReal, N},
    {"cardExpiryDate", "cardExpiryDate", 164, 4, K::TimeReal, N},
    {"cardIssuingMemberStateAlpha", "cardIssuingMemberStateAlpha", 168, 3, K::Ascii},
    {"workshopName", "workshopName", 171, 70, K::Utf16LE},
    {"workshopAddress", "workshopAddress", 241, 70, K::Utf16LE},
};
constexpr FieldSpec kVehicleUnit[] = {
    {"downloadDate", "DownloadDate", 2, 4, K::TimeReal},
    {"vin", "VIN", 6, 17, K::Ascii},
    {"vehicleRegistrationNationAlpha", "vehicleRegistrationNationAlpha", 23, 3, K::Ascii},
    {"vehicleRegistrationNumber", "vehicleRegistrationNumber", 26, 26, K::Utf16LE},
    {"vuManufacturerName", "vuManufacturerName", 52, 70, K::Utf16LE},
    {"vuPartNumber", "vuPartNumber", 122, 16, K::Ascii},
    {"vuSoftwareVersion", "vuSoftwareVersion", 138, 4, K::Ascii},
    {"authorisedSpeed", "authorisedSpeed", 142, 1, K::U8, N, {}, "km/h"},
    {"nextCalibrationDate", "nextCalibrationDate", 143, 4, K::TimeReal, N},
    {"activityStartDate", "activityStartDate", 147, 4, K::TimeReal, N},
    {"activityEndDate", "activityEndDate", 151, 4, K::TimeReal, N},
};
}  // namespace
const Layout kDriverCardSummary{"9.1", kDriver, 199, 199};
const Layout kWorkshopCardSummary{"9.2", kWorkshop, 311, 311};
const Layout kVehicleUnitSummary{"9.3", kVehicleUnit, 155, 155};
}  // namespace dcgw::codecs::layouts
