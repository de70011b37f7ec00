// The layouts of seed 004 sections 7-17, one family per source file.
#pragma once

#include "codecs/packets/layout.hpp"

namespace dcgw::codecs::layouts {

extern const Layout kAlerts;               // 7    (alerts.cpp)
extern const Layout kNewDriver;            // 8    (new_driver.cpp)
extern const Layout kDriverCardSummary;    // 9.1  (file_summary.cpp)
extern const Layout kWorkshopCardSummary;  // 9.2
extern const Layout kVehicleUnitSummary;   // 9.3
extern const Layout kTimeSource;           // 10   (time_source.cpp)
extern const Layout kClockingOriginal;     // 11.1 (clocking.cpp)
extern const Layout kClockingNew;          // 11.2
extern const Layout kTracking;             // 12   (tracking.cpp)
extern const Layout kPositionalUpdate;     // 12.1
extern const Layout kTrackingSuppression;  // 12.2
extern const Layout kTachographMode;       // 13   (tachograph_mode.cpp)
extern const Layout kStoneridgeDuo;        // 14.1 (dds.cpp)
extern const Layout kVdoCounter;           // 14.2
extern const Layout kIntellicICounter;     // 14.3
extern const Layout kConsolidatedDds;      // 14.4
extern const Layout kCanInitialisation;    // 15.1 (vehicle_can.cpp)
extern const Layout kCanEngineOn;          // 15.2
extern const Layout kCanEngineOff;         // 15.3
extern const Layout kCanInJourney;         // 15.4
extern const Layout kCanOnChange;          // 15.5
extern const Layout kSensorSwitch;         // 16.1 (sensors.cpp)
extern const Layout kSensorAnalogue;       // 16.2
extern const Layout kSensorAccelerometer;  // 16.3
extern const Layout kSensorOneWire;        // 16.4
extern const Layout kSensorPassenger;      // 16.5
extern const Layout kOdometer;             // 17   (odometer.cpp)

}  // namespace dcgw::codecs::layouts
