// Seed 004 section 14: Driver Decision Support: Stoneridge Duo (0x02), VDO Counter (0x03),
// Intellic iCounter (0x04, see DESIGN.md) and Consolidated DDS (0x0C), all of type 0x4D/0x6D.
#include "codecs/families.hpp"

namespace dcgw::codecs::layouts {
namespace {
using K = FieldKind;
constexpr std::uint8_t N = kNullable;
constexpr const char* kMin = "minutes";
constexpr const char* kHours = "hours";

constexpr FieldSpec kStoneridge[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"mode", "Mode", 20, 1, K::U8},
    {"duration", "Duration", 21, 2, K::U16BE, N, {}, kMin},
    {"timeRelatedStates", "TimeRelatedStates", 23, 1, K::U8, N | kTimeRelatedStates},
    {"continuousDrive", "ContinuousDrive", 24, 2, K::U16BE, N, {}, kMin},
    {"dailyDrive", "DailyDrive", 26, 2, K::U16BE, N, {}, kMin},
    {"weeklyDrive", "WeeklyDrive", 28, 2, K::U16BE, N, {}, kMin},
    {"twoWeekDrive", "TwoWeekDrive", 30, 2, K::U16BE, N, {}, kMin},
    {"cumulativeBreak", "CumulativeBreak", 32, 2, K::U16BE, N, {}, kMin},
    {"cumulativeRest", "CumulativeRest", 34, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextDailyRest", "TimeLeftUntilNextDailyRest", 36, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextWeeklyRest", "TimeLeftUntilNextWeeklyRest", 38, 2, K::U16BE, N, {}, kMin},
    {"minimumDurationOfNextDailyRest", "MinimumDurationOfNextDailyRest", 40, 2, K::U16BE, N, {},
     kMin},
    {"minimumDurationOfNextWeeklyRest", "MinimumDurationOfNextWeeklyRest", 42, 2, K::U16BE, N, {},
     kMin},
    {"maximumDailyDrive", "MaximumDailyDrive", 44, 1, K::U8, N, {}, kHours},
    {"extendedDriveUsed", "ExtendedDriveUsed", 45, 1, K::U8, N},
    {"reducedRestUsed", "ReducedRestUsed", 46, 1, K::U8, N},
    {"workingTimeDaily", "WorkingTimeDaily", 47, 2, K::U16BE, N, {}, kMin},
    {"workingTimeWeekly", "WorkingTimeWeekly", 49, 2, K::U16BE, N, {}, kMin},
    {"workingTimeBreak", "WorkingTimeBreak", 51, 2, K::U16BE, N, {}, kMin},
};

constexpr FieldSpec kVdo[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"mode", "Mode", 20, 1, K::U8},
    {"duration", "Duration", 21, 2, K::U16BE, N, {}, kMin},
    {"timeRelatedStates", "TimeRelatedStates", 23, 1, K::U8, N | kTimeRelatedStates},
    {"continuousDrive", "ContinuousDrive", 24, 2, K::U16BE, N, {}, kMin},
    {"dailyDrive", "DailyDrive", 26, 2, K::U16BE, N, {}, kMin},
    {"weeklyDrive", "WeeklyDrive", 28, 2, K::U16BE, N, {}, kMin},
    {"twoWeekDrive", "TwoWeekDrive", 30, 2, K::U16BE, N, {}, kMin},
    {"cumulativeBreak", "CumulativeBreak", 32, 2, K::U16BE, N, {}, kMin},
    {"remainingDrive", "RemainingDrive", 34, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextRestPeriod", "TimeLeftUntilNextRestPeriod", 36, 2, K::U16BE, N, {}, kMin},
    {"durationOfNextBreakRest", "DurationOfNextBreak/Rest", 38, 2, K::U16BE, N, {}, kMin},
    {"remainingBreakRest", "RemainingBreak/Rest", 40, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextDrivingPeriod", "TimeLeftUntilNextDrivingPeriod", 42, 2, K::U16BE, N, {},
     kMin},
    {"maximumDurationOfNextDrivingPeriod", "MaximumDurationOfNextDrivingPeriod", 44, 2, K::U16BE,
     N, {}, kMin},
    {"remainingDailyDrive", "RemainingDailyDrive", 46, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextDailyRest", "TimeLeftUntilNextDailyRest", 48, 2, K::U16BE, N, {}, kMin},
    {"minimumDurationOfNextDailyRest", "MinimumDurationOfNextDailyRest", 50, 2, K::U16BE, N, {},
     kMin},
    {"remainingWeeklyDrive", "RemainingWeeklyDrive", 52, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextWeeklyRest", "TimeLeftUntilNextWeeklyRest", 54, 2, K::U16BE, N, {}, kMin},
    {"minimumDurationOfNextWeeklyRest", "MinimumDurationOfNextWeeklyRest", 56, 2, K::U16BE, N, {},
     kMin},
    {"bitMask", "BitMask", 58, 2, K::U16BE, kVdoBitMask},
};

constexpr FieldSpec kIntellic[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"mode", "Mode", 20, 1, K::U8},
    {"duration", "Duration", 21, 2, K::U16BE, N, {}, kMin},
    {"timeRelatedStates", "TimeRelatedStates", 23, 1, K::U8, N | kTimeRelatedStates},
    {"continuousDrive", "ContinuousDrive", 24, 2, K::U16BE, N, {}, kMin},
    {"dailyDrive", "DailyDrive", 26, 2, K::U16BE, N, {}, kMin},
    {"weeklyDrive", "WeeklyDrive", 28, 2, K::U16BE, N, {}, kMin},
    {"twoWeekDrive", "TwoWeekDrive", 30, 2, K::U16BE, N, {}, kMin},
    {"cumulativeBreak", "CumulativeBreak", 32, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextDailyRest", "TimeLeftUntilNextDailyRest", 34, 2, K::U16BE, N, {}, kMin},
    {"timeLeftUntilNextWeeklyRest", "TimeLeftUntilNextWeeklyRest", 36, 2, K::U16BE, N, {}, kMin},
    {"minimumDurationOfNextDailyRest", "MinimumDurationOfNextDailyRest", 38, 2, K::U16BE, N, {},
     kMin},
    {"minimumDurationOfNextWeeklyRest", "MinimumDurationOfNextWeeklyRest", 40, 2, K::U16BE, N, {},
     kMin},
    {"extendedDriveUsed", "ExtendedDriveUsed", 42, 1, K::U8, N},
};

// Section 14.4 notes: 0xFF / 0xFFFF (and so 0xFFFFFFFF for the TimeReal fields) mean NULL.
constexpr FieldSpec kConsolidated[] = {
    {"dateTime", "DateTime", 2, 4, K::TimeReal},
    {"cardNumber", "CardNumber", 6, 14, K::Ascii},
    {"mode", "Mode", 20, 1, K::U8},
    {"duration", "Duration", 21, 2, K::U16BE, N, {}, kMin},
    {"timeRelatedStates", "TimeRelatedStates", 23, 1, K::U8, N | kTimeRelatedStates},
    {"timeRelatedLevel", "TimeRelatedLevel", 24, 1, K::U8, N},
    {"continuousDrive", "ContinuousDrive", 25, 2, K::U16BE, N, {}, kMin},
    {"dailyDrive", "DailyDrive", 27, 2, K::U16BE, N, {}, kMin},
    {"weeklyDrive", "WeeklyDrive", 29, 2, K::U16BE, N, {}, kMin},
    {"twoWeekDrive", "TwoWeekDrive", 31, 2, K::U16BE, N, {}, kMin},
    {"maximumDailyDrive", "MaximumDailyDrive", 33, 1, K::U8, N, {}, kHours},
    {"maximumWeeklyDrive", "MaximumWeeklyDrive", 34, 1, K::U8, N, {}, kHours},
    {"maximumTwoWeekDrive", "MaximumTwoWeekDrive", 35, 1, K::U8, N, {}, kHours},
    {"remainingDrive", "RemainingDrive", 36, 2, K::U16BE, N, {}, kMin},
    {"durationOfNextBreakRest", "DurationOfNextBreakRest", 38, 2, K::U16BE, N, {}, kMin},
    {"extendedDriveAvailable", "ExtendedDriveAvailable", 40, 1, K::U8, N},
    {"breakRestTaken", "BreakRestTaken", 41, 2, K::U16BE, N, {}, kMin},
    {"requiredBreakRest", "RequiredBreakRest", 43, 2, K::U16BE, N, {}, kMin},
    {"maximumDurationOfNextDrivingPeriod", "MaximumDurationOfNextDrivingPeriod", 45, 2, K::U16BE,
     N, {}, kMin},
    {"reducedRestAvailable", "ReducedRestAvailable", 47, 1, K::U8, N},
    {"nextDailyRestDue", "NextDailyRestDue", 48, 4, K::TimeReal, N},
    {"nextWeeklyRestDue", "NextWeeklyRestDue", 52, 4, K::TimeReal, N},
    {"minimumDurationOfNextDailyRest", "MinimumDurationOfNextDailyRest", 56, 2, K::U16BE, N, {},
     kMin},
    {"minimumDurationOfNextWeeklyRest", "MinimumDurationOfNextWeeklyRest", 58, 2, K::U16BE, N, {},
     kMin},
    {"workingTimeDaily", "WorkingTimeDaily", 60, 2, K::U16BE, N, {}, kMin},
    {"workingTimeWeekly", "WorkingTimeWeekly", 62, 2, K::U16BE, N, {}, kMin},
    {"workingTimeBreakTaken", "WorkingTimeBreakTaken", 64, 2, K::U16BE, N, {}, kMin},
};
}  // namespace
const Layout kStoneridgeDuo{"14.1", kStoneridge, 53, 53};
const Layout kVdoCounter{"14.2", kVdo, 60, 60};
const Layout kIntellicICounter{"14.3", kIntellic, 43, 43};
const Layout kConsolidatedDds{"14.4", kConsolidated, 66, 66};
}  // namespace dcgw::codecs::layouts
